/* libFuzzer target: the model description reader (model JSON files, safetensors metadata).
 * An accepted description must write back to JSON and read back to the same description. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "serialize/nl_model_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nl_status st;
    nl_model_desc d, back;
    memset(&d, 0, sizeof d);
    if (nl_model_desc_from_json((const char *)data, size, &d, &st)) {
        if (st.code == 0 || st.msg[0] == '\0') __builtin_trap();
        return 0;
    }
    char json[NL_MODEL_JSON_MAX];
    if (nl_model_desc_to_json(&d, json, sizeof json, &st)) __builtin_trap();
    memset(&back, 0, sizeof back);
    if (nl_model_desc_from_json(json, strlen(json), &back, &st)) __builtin_trap();
    char again[NL_MODEL_JSON_MAX];
    if (nl_model_desc_to_json(&back, again, sizeof again, &st) || strcmp(json, again)) __builtin_trap();
    return 0;
}
