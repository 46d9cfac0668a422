/* A small, strict JSON reader (RFC 8259) for the model description and safetensors headers:
 * objects, arrays, strings, numbers, true/false/null. Every access is bounds-checked against
 * the given length (the text need not be NUL-terminated). Rejected: trailing commas, comments,
 * leading zeros, NaN/Infinity, control characters and invalid UTF-8 in strings, \u0000,
 * duplicate object keys, nesting deeper than NL_JSON_MAX_DEPTH, more than NL_JSON_MAX_NODES
 * values, anything after the value.
 * Hostile input costs at most O(n log n) time (duplicate keys are found by sorting each
 * object's keys) and memory proportional to NL_JSON_MAX_NODES plus the text's length.
 * Error messages name the byte offset, e.g. "unexpected character '}' at offset 17"; callers
 * prefix them with what they were reading ("model JSON: ...", "safetensors: header ..."). */
#ifndef NL_JSON_H
#define NL_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "base/nl_buf.h"
#include "base/nl_status.h"

#define NL_JSON_MAX_DEPTH 64
/* Values in one document. The largest documents read are safetensors headers: for a model,
 * up to 6 tensors per conv block x 10 blocks + 1, each an object of ~8 values, plus the
 * metadata: under 600 values. 16384 leaves ample room and caps memory near 1 MB. */
#define NL_JSON_MAX_NODES 16384
/* Texts longer than this are refused (offsets and lengths are 32-bit in the nodes). */
#define NL_JSON_MAX_TEXT ((size_t)0xFFFFFFFFu)

typedef enum {
    NL_JSON_NULL = 0,
    NL_JSON_BOOL,
    NL_JSON_NUMBER,
    NL_JSON_STRING,
    NL_JSON_ARRAY,
    NL_JSON_OBJECT
} nl_json_type;

/* One value: 32 bytes on 64-bit targets (what a value needs depends on its type). */
typedef struct nl_json nl_json;
struct nl_json {
    uint8_t type;       /* nl_json_type */
    uint8_t boolean;    /* BOOL */
    uint8_t is_int;     /* NUMBER written without fraction/exponent and within int64 */
    uint32_t offset;    /* byte offset of the value in the text */
    size_t len;         /* STRING: bytes; ARRAY / OBJECT: number of elements */
    union {
        struct {
            double number;    /* NUMBER (finite) */
            int64_t integer;  /* NUMBER when is_int */
        };
        char *str;            /* STRING: decoded UTF-8, NUL-terminated */
        struct {
            nl_json *items;   /* ARRAY elements / OBJECT values, in text order */
            char **keys;      /* OBJECT keys (decoded, NUL-terminated), parallel to items */
        };
    };
};

/* Parses text[0..len) as one JSON value (surrounding whitespace allowed). Returns a tree to
 * free with nl_json_free, or NULL with st set (NL_EFORMAT, or NL_ENOMEM). */
nl_json *nl_json_parse(const char *text, size_t len, nl_status *st);
void nl_json_free(nl_json *root);

/* The value of key in an object, or NULL (also when obj is not an object). */
const nl_json *nl_json_get(const nl_json *obj, const char *key);
/* "null", "a boolean", "a number", "a string", "an array", "an object". */
const char *nl_json_type_name(nl_json_type t);

/* Writing (json_write.c). Writes s[0..len) as a JSON string literal with quotes into dst (at most cap bytes including
 * the NUL, truncated like snprintf). Returns the full length the literal needs (without NUL).
 * Control characters, quotes and backslashes are escaped; other bytes are copied as they are. */
size_t nl_json_escape(char *dst, size_t cap, const char *s, size_t len);
/* Appends s (NUL-terminated) as a JSON string literal. */
void nl_json_put_string(nl_buf *b, const char *s);
/* The shortest %g form of v that reads back as the same float32 (at most 16 bytes). */
void nl_json_format_float(char *out, size_t n, float v);

#endif
