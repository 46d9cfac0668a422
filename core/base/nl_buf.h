/* A growable byte buffer: appends never fail outright, an allocation failure sets `oom` and
 * later appends do nothing, so a writer checks once at the end. The bytes are always followed
 * by a NUL (not counted in len), so text built here is a C string. */
#ifndef NL_BUF_H
#define NL_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *p;
    size_t len, cap;
    int oom;
} nl_buf;

void nl_buf_add(nl_buf *b, const void *src, size_t n);
void nl_buf_str(nl_buf *b, const char *s);
void nl_buf_printf(nl_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Little-endian integers. */
void nl_buf_u32(nl_buf *b, uint32_t v);
void nl_buf_u64(nl_buf *b, uint64_t v);
/* Releases the memory and resets b to empty. */
void nl_buf_free(nl_buf *b);
/* The text so far ("" when empty). */
const char *nl_buf_text(const nl_buf *b);

#endif
