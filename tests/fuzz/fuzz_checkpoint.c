/* libFuzzer target: checkpoint loading. The CRC-32 over the file would stop almost every
 * mutation at the first check, so the input is the payload and the target wraps it in a
 * valid envelope (magic, version, length, CRC); an input starting with the magic itself is
 * also loaded as it is, to fuzz the envelope checks. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/nl_crc32.h"
#include "serialize/nl_checkpoint.h"

static void put_u32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

static void load(const uint8_t *buf, size_t len) {
    nl_status st;
    nl_trainer *t = nl_checkpoint_load_buffer(buf, len, 1, &st);
    if (t) nl_trainer_free(t);
    else if (st.code == 0 || !st.msg[0]) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size >= 8 && memcmp(data, "NLCKPT\r\n", 8) == 0) {
        load(data, size);
        return 0;
    }
    if (size > (64u << 20)) return 0;
    uint8_t *buf = malloc(size + 20);
    if (!buf) return 0;
    memcpy(buf, "NLCKPT\r\n", 8);
    put_u32(buf + 8, NL_CHECKPOINT_VERSION);
    put_u32(buf + 12, (uint32_t)size);
    if (size) memcpy(buf + 16, data, size);
    put_u32(buf + 16 + size, nl_crc32(0, buf, 16 + size));
    load(buf, size + 20);
    free(buf);
    return 0;
}
