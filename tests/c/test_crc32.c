/* CRC-32: the constant table against the bitwise definition, the standard check value, and
 * continuation over pieces. */
#include <string.h>

#include "base/nl_crc32.h"
#include "nl_test.h"

/* One bit at a time, straight from the definition (reflected 0xEDB88320). */
static uint32_t crc_bitwise(uint32_t crc, const unsigned char *p, size_t n) {
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = (crc & 1) ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
    }
    return ~crc;
}

int main(void) {
    CHECK(nl_crc32(0, "123456789", 9) == 0xCBF43926u); /* the standard check value */
    CHECK(nl_crc32(0, "", 0) == 0);
    /* Every byte value through every table entry. */
    unsigned char all[256 * 2];
    for (int i = 0; i < 512; i++) all[i] = (unsigned char)(i * 7 + (i >> 8));
    int same = 1;
    for (size_t n = 0; n <= sizeof all; n += 17) same &= nl_crc32(0, all, n) == crc_bitwise(0, all, n);
    for (int b = 0; b < 256; b++) {
        unsigned char c = (unsigned char)b;
        same &= nl_crc32(0x12345678u, &c, 1) == crc_bitwise(0x12345678u, &c, 1);
    }
    CHECK(same);
    /* Continuing a CRC over pieces gives the CRC of the whole. */
    CHECK(nl_crc32(nl_crc32(0, all, 100), all + 100, 412) == nl_crc32(0, all, 512));
    return nl_test_finish("test_crc32");
}
