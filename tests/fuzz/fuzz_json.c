/* libFuzzer target: the JSON reader (model descriptions, safetensors headers). Parses the
 * input, then walks the tree and looks every key up again, as the callers do. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "serialize/nl_json.h"

static size_t walk(const nl_json *v, int depth) {
    size_t n = 1;
    if (depth > NL_JSON_MAX_DEPTH + 1) __builtin_trap(); /* the reader promised a depth limit */
    if (v->type == NL_JSON_STRING && strlen(v->str) != v->len) __builtin_trap();
    if (v->type == NL_JSON_ARRAY || v->type == NL_JSON_OBJECT)
        for (size_t i = 0; i < v->len; i++) {
            n += walk(&v->items[i], depth + 1);
            /* keys are unique: a lookup finds this very value (nl_json_get is linear: the
             * first 64 keys of an object are enough to check it) */
            if (v->type == NL_JSON_OBJECT && i < 64 && nl_json_get(v, v->keys[i]) != &v->items[i]) __builtin_trap();
        }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nl_status st;
    nl_json *root = nl_json_parse((const char *)data, size, &st);
    if (root) {
        walk(root, 0);
        nl_json_free(root);
    } else if (st.code == 0 || st.msg[0] == '\0') {
        __builtin_trap(); /* a rejection must say why */
    }
    return 0;
}
