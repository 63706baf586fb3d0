/* ctype.h - character classes for parsers (locale-free, freestanding and hosted). */
#ifndef KILN_LIB_CTYPE_H
#define KILN_LIB_CTYPE_H

/* Value of a hexadecimal digit (0-9, a-f, A-F), or -1 for anything else. */
int hex_value(char c);

#endif
