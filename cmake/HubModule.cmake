# hub_add_module(NAME SOURCES src...)
# Builds modules/NAME as NAME.so into ${HUB_MODULE_OUTPUT_DIR}. The module
# links only hubkit (static) and its own libraries: -Wl,--no-undefined makes
# any accidental use of a host symbol a link error, because modules reach the
# host only through the hub_api table. A web/ folder beside the sources is
# linked to ${HUB_MODULE_OUTPUT_DIR}/NAME/web, which api->module_dir() names.
function(hub_add_module name)
  cmake_parse_arguments(M "" "" "SOURCES;LIBS" ${ARGN})
  add_library(${name} MODULE ${M_SOURCES})
  set_target_properties(${name} PROPERTIES PREFIX ""
    LIBRARY_OUTPUT_DIRECTORY ${HUB_MODULE_OUTPUT_DIR})
  target_link_libraries(${name} PRIVATE hubkit ${M_LIBS})
  if(NOT HUB_SANITIZE AND NOT HUB_FUZZ)
    # (sanitizer runtimes resolve their symbols from the executable)
    target_link_options(${name} PRIVATE -Wl,--no-undefined)
  endif()
  set(webdir ${CMAKE_CURRENT_SOURCE_DIR}/web)
  if(EXISTS ${webdir})
    file(MAKE_DIRECTORY ${HUB_MODULE_OUTPUT_DIR}/${name})
    file(CREATE_LINK ${webdir} ${HUB_MODULE_OUTPUT_DIR}/${name}/web SYMBOLIC)
  endif()
endfunction()
