/* CRC-32 (IEEE 802.3, as gzip, PNG and zip use it). */
#ifndef NL_CRC32_H
#define NL_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continues a CRC: start with crc = 0. */
uint32_t nl_crc32(uint32_t crc, const void *data, size_t len);

#endif
