/* The growable byte buffer of nl_buf.h. */
#include "base/nl_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Makes room for n more bytes plus the trailing NUL; returns 0 when out of memory. */
static int reserve(nl_buf *b, size_t n) {
    if (b->oom) return 0;
    if (n > SIZE_MAX / 2 - b->len) {
        b->oom = 1;
        return 0;
    }
    size_t need = b->len + n + 1;
    if (need <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < need) cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return 0;
    }
    b->p = p;
    b->cap = cap;
    return 1;
}

void nl_buf_add(nl_buf *b, const void *src, size_t n) {
    if (!reserve(b, n)) return;
    if (n) memcpy(b->p + b->len, src, n);
    b->len += n;
    b->p[b->len] = 0;
}

void nl_buf_str(nl_buf *b, const char *s) { nl_buf_add(b, s, strlen(s)); }

void nl_buf_printf(nl_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
    } else if (reserve(b, (size_t)n)) {
        vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
}

void nl_buf_u32(nl_buf *b, uint32_t v) {
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    nl_buf_add(b, x, 4);
}

void nl_buf_u64(nl_buf *b, uint64_t v) {
    nl_buf_u32(b, (uint32_t)v);
    nl_buf_u32(b, (uint32_t)(v >> 32));
}

void nl_buf_free(nl_buf *b) {
    free(b->p);
    memset(b, 0, sizeof *b);
}

const char *nl_buf_text(const nl_buf *b) { return b->p ? (const char *)b->p : ""; }
