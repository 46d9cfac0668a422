/* Writing JSON: string literals and float32 numbers (see nl_json.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serialize/nl_json.h"

size_t nl_json_escape(char *dst, size_t cap, const char *s, size_t len) {
    size_t n = 0;
#define PUT(ch)                                  \
    do {                                         \
        if (n + 1 < cap) dst[n] = (char)(ch);    \
        n++;                                     \
    } while (0)
    PUT('"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            PUT('\\');
            PUT(c);
        } else if (c == '\n') {
            PUT('\\');
            PUT('n');
        } else if (c == '\t') {
            PUT('\\');
            PUT('t');
        } else if (c == '\r') {
            PUT('\\');
            PUT('r');
        } else if (c < 0x20) {
            static const char hex[] = "0123456789abcdef";
            PUT('\\');
            PUT('u');
            PUT('0');
            PUT('0');
            PUT(hex[c >> 4]);
            PUT(hex[c & 15]);
        } else {
            PUT(c);
        }
    }
    PUT('"');
#undef PUT
    if (cap) dst[n < cap ? n : cap - 1] = '\0';
    return n;
}

void nl_json_put_string(nl_buf *b, const char *s) {
    size_t len = strlen(s);
    size_t need = nl_json_escape(NULL, 0, s, len);
    char small[256];
    char *tmp = need < sizeof small ? small : malloc(need + 1);
    if (!tmp) {
        b->oom = 1;
        return;
    }
    nl_json_escape(tmp, need + 1, s, len);
    nl_buf_add(b, tmp, need);
    if (tmp != small) free(tmp);
}

void nl_json_format_float(char *out, size_t n, float v) {
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(out, n, "%.*g", digits, (double)v);
        if (strtof(out, NULL) == v) return;
    }
    snprintf(out, n, "%.9g", (double)v);
}
