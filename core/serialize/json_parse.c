/* A small, strict JSON reader: recursive descent over a length-bounded buffer into a tree of
 * nl_json nodes (see nl_json.h for what is accepted). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serialize/nl_json.h"

typedef struct {
    const char *s;
    size_t len, pos;
    int depth;
    size_t nodes;      /* values parsed so far (capped by NL_JSON_MAX_NODES) */
    nl_status *st;
    int failed;
} parser;

static int fail_at(parser *p, int code, size_t offset, const char *what) {
    if (!p->failed) nl_fail(p->st, code, "%s at offset %zu", what, offset);
    p->failed = 1;
    return -1;
}

static int unexpected(parser *p) {
    if (p->pos >= p->len) return fail_at(p, NL_EFORMAT, p->pos, "unexpected end of input");
    unsigned char c = (unsigned char)p->s[p->pos];
    char what[48];
    if (c >= 0x20 && c < 0x7f) snprintf(what, sizeof what, "unexpected character '%c'", c);
    else snprintf(what, sizeof what, "unexpected byte 0x%02x", c);
    return fail_at(p, NL_EFORMAT, p->pos, what);
}

static int oom(parser *p) { return fail_at(p, NL_ENOMEM, p->pos, "out of memory parsing JSON"); }

static void skip_ws(parser *p) {
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static int peek(const parser *p) { return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1; }

static void free_value(nl_json *v) {
    if (v->type == NL_JSON_STRING) free(v->str);
    if (v->type == NL_JSON_ARRAY || v->type == NL_JSON_OBJECT) {
        for (size_t i = 0; i < v->len; i++) {
            free_value(&v->items[i]);
            if (v->type == NL_JSON_OBJECT && v->keys) free(v->keys[i]);
        }
        free(v->items);
        if (v->type == NL_JSON_OBJECT) free(v->keys);
    }
    memset(v, 0, sizeof *v);
}

static int parse_value(parser *p, nl_json *out);

static int literal(parser *p, const char *word) {
    size_t n = strlen(word);
    for (size_t i = 0; i < n; i++) {
        if (p->pos >= p->len || p->s[p->pos] != word[i]) return unexpected(p);
        p->pos++;
    }
    return 0;
}

static int is_digit(int c) { return c >= '0' && c <= '9'; }

static int parse_number(parser *p, nl_json *out) {
    size_t start = p->pos;
    int integral = 1;
    if (peek(p) == '-') p->pos++;
    if (peek(p) == '0') {
        p->pos++;
        if (is_digit(peek(p))) return unexpected(p); /* leading zero */
    } else if (is_digit(peek(p))) {
        while (is_digit(peek(p))) p->pos++;
    } else {
        return unexpected(p);
    }
    if (peek(p) == '.') {
        integral = 0;
        p->pos++;
        if (!is_digit(peek(p))) return unexpected(p);
        while (is_digit(peek(p))) p->pos++;
    }
    if (peek(p) == 'e' || peek(p) == 'E') {
        integral = 0;
        p->pos++;
        if (peek(p) == '+' || peek(p) == '-') p->pos++;
        if (!is_digit(peek(p))) return unexpected(p);
        while (is_digit(peek(p))) p->pos++;
    }
    size_t n = p->pos - start;
    char buf[128];
    if (n >= sizeof buf) return fail_at(p, NL_EFORMAT, start, "number too long");
    memcpy(buf, p->s + start, n);
    buf[n] = '\0';
    errno = 0;
    double v = strtod(buf, NULL);
    if (!isfinite(v)) return fail_at(p, NL_EFORMAT, start, "number out of range");
    out->type = NL_JSON_NUMBER;
    out->number = v;
    if (integral) {
        errno = 0;
        long long iv = strtoll(buf, NULL, 10);
        if (errno == 0) {
            out->is_int = 1;
            out->integer = (int64_t)iv;
        }
    }
    return 0;
}

static int hex4(parser *p, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int c = peek(p);
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return unexpected(p);
        v = v * 16 + (unsigned)d;
        p->pos++;
    }
    *out = v;
    return 0;
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if invalid (overlong, surrogate, > U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t k;
    unsigned cp, min;
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) k = 2, cp = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0) k = 3, cp = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0) k = 4, cp = c & 0x07, min = 0x10000;
    else return 0;
    if (n < k) return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return k;
}

static size_t put_utf8(char *d, unsigned cp) {
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xC0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Parses a string literal at p->pos (which is '"') into a new NUL-terminated buffer. */
static int parse_string(parser *p, char **out, size_t *out_len) {
    size_t start = p->pos;
    p->pos++; /* opening quote */
    /* the decoded string is never longer than the literal */
    size_t end = p->pos;
    while (end < p->len && p->s[end] != '"') end += p->s[end] == '\\' ? 2 : 1;
    size_t cap = (end < p->len ? end : p->len) - p->pos + 1;
    char *d = malloc(cap);
    if (!d) return oom(p);
    size_t n = 0;
    for (;;) {
        if (p->pos >= p->len) {
            free(d);
            return fail_at(p, NL_EFORMAT, start, "unterminated string starting");
        }
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20) {
            free(d);
            return fail_at(p, NL_EFORMAT, p->pos, "control character in a string");
        }
        if (c == '\\') {
            size_t esc = p->pos;
            p->pos++;
            int e = peek(p);
            unsigned cp;
            switch (e) {
            case '"': cp = '"'; break;
            case '\\': cp = '\\'; break;
            case '/': cp = '/'; break;
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case 'n': cp = '\n'; break;
            case 'r': cp = '\r'; break;
            case 't': cp = '\t'; break;
            case 'u':
                p->pos++;
                if (hex4(p, &cp)) {
                    free(d);
                    return -1;
                }
                p->pos--; /* the common p->pos++ below */
                if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    free(d);
                    return fail_at(p, NL_EFORMAT, esc, "unpaired surrogate escape");
                }
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned lo;
                    if (p->pos + 2 >= p->len || p->s[p->pos + 1] != '\\' || p->s[p->pos + 2] != 'u') {
                        free(d);
                        return fail_at(p, NL_EFORMAT, esc, "unpaired surrogate escape");
                    }
                    p->pos += 3;
                    if (hex4(p, &lo)) {
                        free(d);
                        return -1;
                    }
                    p->pos--;
                    if (lo < 0xDC00 || lo > 0xDFFF) {
                        free(d);
                        return fail_at(p, NL_EFORMAT, esc, "unpaired surrogate escape");
                    }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                if (cp == 0) {
                    free(d);
                    return fail_at(p, NL_EFORMAT, esc, "\\u0000 in a string is not supported");
                }
                break;
            default:
                free(d);
                if (e < 0) return unexpected(p);
                return fail_at(p, NL_EFORMAT, esc, "invalid escape in a string");
            }
            p->pos++;
            n += put_utf8(d + n, cp);
            continue;
        }
        size_t k = utf8_seq((const unsigned char *)p->s + p->pos, p->len - p->pos);
        if (!k) {
            free(d);
            return fail_at(p, NL_EFORMAT, p->pos, "invalid UTF-8 in a string");
        }
        memcpy(d + n, p->s + p->pos, k);
        n += k;
        p->pos += k;
    }
    d[n] = '\0';
    *out = d;
    *out_len = n;
    return 0;
}

/* Appends one element to a growing array of values (and keys). */
static int push(parser *p, nl_json *v, size_t *cap, nl_json *item, char *key) {
    if (v->len == *cap) {
        size_t nc = *cap ? *cap * 2 : 4; /* at most 2 * NL_JSON_MAX_NODES */
        nl_json *items = realloc(v->items, nc * sizeof *items);
        if (!items) return oom(p);
        v->items = items;
        if (v->type == NL_JSON_OBJECT) {
            char **keys = realloc(v->keys, nc * sizeof *keys);
            if (!keys) return oom(p);
            v->keys = keys;
        }
        *cap = nc;
    }
    v->items[v->len] = *item;
    if (v->type == NL_JSON_OBJECT) v->keys[v->len] = key;
    v->len++;
    return 0;
}

/* A key and where it stands, for the duplicate check. */
typedef struct {
    const char *key;
    uint32_t index, offset;
} key_ref;

static int key_order(const void *a, const void *b) {
    const key_ref *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Duplicate keys of a parsed object, found by sorting (O(k log k), whatever the keys): the
 * error names the earliest key that repeats an earlier one, at its offset. */
static int check_duplicates(parser *p, const nl_json *obj, const uint32_t *key_offsets) {
    if (obj->len < 2) return 0;
    key_ref *refs = malloc(obj->len * sizeof *refs);
    if (!refs) return oom(p);
    for (size_t i = 0; i < obj->len; i++) refs[i] = (key_ref){obj->keys[i], (uint32_t)i, key_offsets[i]};
    qsort(refs, obj->len, sizeof *refs, key_order);
    const key_ref *dup = NULL;
    for (size_t i = 1; i < obj->len; i++)
        if (!strcmp(refs[i - 1].key, refs[i].key) && (!dup || refs[i].index < dup->index)) dup = &refs[i];
    int rc = 0;
    if (dup) {
        char what[96];
        snprintf(what, sizeof what, "duplicate key \"%.60s\"", dup->key);
        rc = fail_at(p, NL_EFORMAT, dup->offset, what);
    }
    free(refs);
    return rc;
}

static int parse_container(parser *p, nl_json *out, int is_object) {
    if (++p->depth > NL_JSON_MAX_DEPTH) return fail_at(p, NL_EFORMAT, p->pos, "nesting too deep");
    out->type = is_object ? NL_JSON_OBJECT : NL_JSON_ARRAY;
    char close = is_object ? '}' : ']';
    size_t cap = 0, key_cap = 0;
    uint32_t *key_offsets = NULL; /* objects: where each key starts */
    p->pos++; /* '{' or '[' */
    skip_ws(p);
    if (peek(p) == close) {
        p->pos++;
        p->depth--;
        return 0;
    }
    int rc = -1;
    for (;;) {
        char *key = NULL;
        size_t key_len;
        size_t key_off = p->pos;
        if (is_object) {
            if (peek(p) != '"') {
                unexpected(p);
                break;
            }
            if (out->len == key_cap) {
                size_t nc = key_cap ? key_cap * 2 : 4;
                uint32_t *ko = realloc(key_offsets, nc * sizeof *ko);
                if (!ko) {
                    oom(p);
                    break;
                }
                key_offsets = ko;
                key_cap = nc;
            }
            key_offsets[out->len] = (uint32_t)key_off;
            if (parse_string(p, &key, &key_len)) break;
            skip_ws(p);
            if (peek(p) != ':') {
                free(key);
                unexpected(p);
                break;
            }
            p->pos++;
            skip_ws(p);
        }
        nl_json item;
        memset(&item, 0, sizeof item);
        if (parse_value(p, &item) || push(p, out, &cap, &item, key)) {
            free_value(&item);
            free(key);
            break;
        }
        skip_ws(p);
        if (peek(p) == ',') {
            p->pos++;
            skip_ws(p);
            continue;
        }
        if (peek(p) == close) {
            p->pos++;
            rc = is_object ? check_duplicates(p, out, key_offsets) : 0;
            break;
        }
        unexpected(p);
        break;
    }
    free(key_offsets);
    if (!rc) p->depth--;
    return rc;
}

static int parse_value(parser *p, nl_json *out) {
    skip_ws(p);
    out->offset = (uint32_t)p->pos;
    if (++p->nodes > NL_JSON_MAX_NODES) {
        char what[64];
        snprintf(what, sizeof what, "more than %d values", NL_JSON_MAX_NODES);
        return fail_at(p, NL_EFORMAT, p->pos, what);
    }
    switch (peek(p)) {
    case '{': return parse_container(p, out, 1);
    case '[': return parse_container(p, out, 0);
    case '"':
        out->type = NL_JSON_STRING;
        return parse_string(p, &out->str, &out->len);
    case 't':
        out->type = NL_JSON_BOOL;
        out->boolean = 1;
        return literal(p, "true");
    case 'f':
        out->type = NL_JSON_BOOL;
        return literal(p, "false");
    case 'n':
        out->type = NL_JSON_NULL;
        return literal(p, "null");
    default:
        if (peek(p) == '-' || is_digit(peek(p))) return parse_number(p, out);
        return unexpected(p);
    }
}

nl_json *nl_json_parse(const char *text, size_t len, nl_status *st) {
    if (!text && len) {
        nl_fail(st, NL_EINVAL, "no JSON text");
        return NULL;
    }
    if (len > NL_JSON_MAX_TEXT) {
        nl_fail(st, NL_EFORMAT, "JSON text of %zu bytes is too long", len);
        return NULL;
    }
    parser p = {text, len, 0, 0, 0, st, 0};
    nl_json *root = calloc(1, sizeof *root);
    if (!root) {
        nl_fail(st, NL_ENOMEM, "out of memory parsing JSON");
        return NULL;
    }
    int rc = parse_value(&p, root);
    if (!rc) {
        skip_ws(&p);
        if (p.pos < p.len) {
            unsigned char c = (unsigned char)p.s[p.pos];
            char what[64];
            if (c >= 0x20 && c < 0x7f) snprintf(what, sizeof what, "unexpected character '%c' after the value", c);
            else snprintf(what, sizeof what, "unexpected byte 0x%02x after the value", c);
            rc = fail_at(&p, NL_EFORMAT, p.pos, what);
        }
    }
    if (rc) {
        nl_json_free(root);
        return NULL;
    }
    return root;
}

void nl_json_free(nl_json *root) {
    if (!root) return;
    free_value(root);
    free(root);
}

const nl_json *nl_json_get(const nl_json *obj, const char *key) {
    if (!obj || obj->type != NL_JSON_OBJECT) return NULL;
    for (size_t i = 0; i < obj->len; i++)
        if (!strcmp(obj->keys[i], key)) return &obj->items[i];
    return NULL;
}

const char *nl_json_type_name(nl_json_type t) {
    switch (t) {
    case NL_JSON_NULL: return "null";
    case NL_JSON_BOOL: return "a boolean";
    case NL_JSON_NUMBER: return "a number";
    case NL_JSON_STRING: return "a string";
    case NL_JSON_ARRAY: return "an array";
    case NL_JSON_OBJECT: return "an object";
    }
    return "?";
}
