/* Writes the seed corpora of the checkpoint, safetensors, json and model_json targets from
 * the core's own writers (small models, so the seeds stay small). Built and run by hand:
 *   cc -std=c11 -D_POSIX_C_SOURCE=200809L -Icore tests/fuzz/make_seeds.c <core sources> -lm -lpthread
 *   ./a.out tests/fuzz/corpus
 * The seeds are committed; this is only needed when a format changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serialize/nl_checkpoint.h"
#include "serialize/nl_config.h"
#include "serialize/nl_model_json.h"
#include "serialize/nl_safetensors.h"

static void put(const char *dir, const char *target, const char *name, const void *p, size_t n) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s/%s", dir, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "tests/fuzz/corpus";
    nl_status st;
    for (int k = 0; k < 3; k++) {
        nl_model_desc d;
        nl_model_desc_default(&d, (nl_norm_kind)k);
        for (int b = 0; b < NL_NUM_BLOCKS; b++) d.width[b] = 4; /* GN groups must divide 4 */
        if (k == NL_NORM_GN) d.groups = 2;
        char json[NL_MODEL_JSON_MAX];
        if (nl_model_desc_to_json(&d, json, sizeof json, &st)) return fprintf(stderr, "%s\n", st.msg), 1;
        const char *norm = nl_norm_name((nl_norm_kind)k);
        char name[64];
        snprintf(name, sizeof name, "%s.json", norm);
        put(dir, "model_json", name, json, strlen(json));
        put(dir, "json", name, json, strlen(json));

        nl_config defaults;
        nl_config_default(&defaults, NL_NORM_BN, NL_PRESET_DEFAULT);
        nl_train_config c = defaults.train;
        c.threads = 1;
        c.batch = 2; /* small activation buffers: each load is fast */
        nl_trainer *t = nl_trainer_create(&d, &c, &st);
        if (!t) return fprintf(stderr, "%s\n", st.msg), 1;
        uint8_t *buf;
        size_t len;
        if (nl_checkpoint_save_buffer(t, &buf, &len, &st)) return fprintf(stderr, "%s\n", st.msg), 1;
        snprintf(name, sizeof name, "%s.payload", norm); /* the target adds magic, length, CRC */
        put(dir, "checkpoint", name, buf + 16, len - 20);
        snprintf(name, sizeof name, "%s.ckpt", norm);
        put(dir, "checkpoint", name, buf, len);
        free(buf);
        if (nl_safetensors_export(t, &buf, &len, &st)) return fprintf(stderr, "%s\n", st.msg), 1;
        snprintf(name, sizeof name, "%s.safetensors", norm);
        put(dir, "safetensors", name, buf, len);
        uint64_t hlen = 0;
        for (int i = 7; i >= 0; i--) hlen = hlen << 8 | buf[i];
        snprintf(name, sizeof name, "%s.header.json", norm);
        put(dir, "json", name, buf + 8, (size_t)hlen);
        free(buf);
        nl_trainer_free(t);
    }
    static const char *const small[] = {
        "{\"a\":[1,-2.5e3,0.25,true,false,null],\"b\":{\"c\":\"\\u00e9\\ud83d\\ude00\\n\"}}",
        "[[[[]]],{},\"\",0,-0,1E+2]",
        "{\"k\":1,\"k2\":{\"k\":2}}",
    };
    for (size_t i = 0; i < sizeof small / sizeof *small; i++) {
        char name[32];
        snprintf(name, sizeof name, "small%zu.json", i);
        put(dir, "json", name, small[i], strlen(small[i]));
    }
    return 0;
}
