/* empty.c - placeholder translation unit for a subsystem without sources. */
typedef int hub_empty_unit;
