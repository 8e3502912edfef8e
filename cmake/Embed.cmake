# cmake -DIN=file -DOUT=file.c -DNAME=symbol -P Embed.cmake
# Writes a C file defining `const unsigned char NAME[]` (NUL-terminated)
# and `const unsigned long NAME_len` with the bytes of IN, so a document
# ships inside the binary instead of being looked up at run time.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUT} "/* generated from ${IN} by cmake/Embed.cmake */\n"
  "extern const unsigned char ${NAME}[];\n"
  "extern const unsigned long ${NAME}_len;\n"
  "const unsigned char ${NAME}[] = {${bytes} 0x00};\n"
  "const unsigned long ${NAME}_len = ${len};\n")
