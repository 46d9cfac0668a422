/* Memory limits that hold whatever a settings or checkpoint file says: a network needing more
 * than NL_NET_MAX_BYTES (2 GiB, the Wasm module's address space) is refused before anything
 * is allocated, with a message that says what to change. */
#include <string.h>

#include "serialize/nl_config.h"
#include "train/nl_train.h"
#include "nl_test.h"

int main(void) {
    nl_model_desc d;
    nl_model_desc_default(&d, NL_NORM_BN);
    nl_config defaults;
    nl_config_default(&defaults, NL_NORM_BN, NL_PRESET_DEFAULT);
    nl_train_config c = defaults.train;
    c.threads = 1;
    nl_status st = {0};

    c.batch = 4096; /* allowed by the settings, but ~10 GB of activations for this model */
    nl_trainer *t = nl_trainer_create(&d, &c, &st);
    CHECK(t == NULL && st.code == NL_EINVAL);
    CHECK_MSG(strstr(st.msg, "needs more than 2048 MiB") && strstr(st.msg, "smaller batch"), "message: %s", st.msg);

    for (int b = 0; b < NL_NUM_BLOCKS; b++) d.width[b] = NL_MAX_WIDTH;
    c.batch = 1024; /* the widest model */
    t = nl_trainer_create(&d, &c, &st);
    CHECK(t == NULL && st.code == NL_EINVAL);

    nl_model_desc_default(&d, NL_NORM_BN);
    c.batch = 128; /* the default settings are far below the limit */
    t = nl_trainer_create(&d, &c, &st);
    CHECK_MSG(t != NULL, "%s", st.msg);
    nl_trainer_free(t);
    return nl_test_finish("test_limits");
}
