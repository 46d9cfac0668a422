/* libFuzzer target: the run configuration reader (config JSON files, checkpoint and
 * safetensors metadata, the Wasm API). An accepted configuration must write back to JSON and
 * read back to the same JSON. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/nl_buf.h"
#include "serialize/nl_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nl_status st;
    nl_config c, back;
    memset(&c, 0, sizeof c);
    if (nl_config_from_json((const char *)data, size, &c, &st)) {
        if (st.code == 0 || st.msg[0] == '\0') __builtin_trap();
        return 0;
    }
    nl_buf json = {0}, again = {0};
    if (nl_config_to_json(&c, &json, 0, &st)) __builtin_trap();
    memset(&back, 0, sizeof back);
    if (nl_config_from_json((const char *)json.p, json.len, &back, &st)) __builtin_trap();
    if (nl_config_to_json(&back, &again, 0, &st)) __builtin_trap();
    if (json.len != again.len || memcmp(json.p, again.p, json.len)) __builtin_trap();
    nl_buf_free(&json);
    nl_buf_free(&again);
    return 0;
}
