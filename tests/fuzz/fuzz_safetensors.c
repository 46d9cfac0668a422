/* libFuzzer target: safetensors import (header length, JSON header, metadata model
 * description, tensor names, dtypes, shapes, offsets, values). */
#include <stddef.h>
#include <stdint.h>

#include "serialize/nl_config.h"
#include "serialize/nl_safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nl_status st;
    nl_model_desc d;
    if (nl_safetensors_read_desc(data, size, &d, &st) && (st.code == 0 || !st.msg[0])) __builtin_trap();
    nl_config defaults;
    nl_config_default(&defaults, NL_NORM_BN, NL_PRESET_DEFAULT);
    nl_train_config c = defaults.train;
    c.threads = 1;
    c.batch = 2; /* small activation buffers: fast runs */
    nl_trainer *t = nl_safetensors_import(data, size, NULL, &c, &st);
    if (t) nl_trainer_free(t);
    else if (st.code == 0 || !st.msg[0]) __builtin_trap();
    return 0;
}
