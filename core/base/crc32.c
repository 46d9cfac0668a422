#include "base/nl_crc32.h"

/* Table-driven, reflected polynomial 0xEDB88320; the table is built once on first use
 * (a race on first use only writes identical values). */
static uint32_t crc_table[256];
static int crc_table_ready = 0;

static void crc_table_init(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
    crc_table_ready = 1;
}

uint32_t nl_crc32(uint32_t crc, const void *data, size_t len) {
    if (!crc_table_ready) crc_table_init();
    const unsigned char *p = data;
    crc = ~crc;
    for (size_t i = 0; i < len; i++) crc = crc_table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}
