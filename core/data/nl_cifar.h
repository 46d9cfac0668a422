/* CIFAR-10 in its official binary format: records of 1 label byte + 3072 pixel bytes
 * (1024 red, 1024 green, 1024 blue; rows top to bottom). Readable from the official
 * cifar-10-binary.tar.gz as it is (gzip + tar, inflated by the core itself: no zlib),
 * from the extracted cifar-10-batches-bin/ folder, or from memory buffers (the browser). */
#ifndef NL_CIFAR_H
#define NL_CIFAR_H

#include <stddef.h>
#include <stdint.h>

#include "base/nl_status.h"

#define NL_CIFAR_CLASSES 10
#define NL_CIFAR_HW 32
#define NL_CIFAR_IMAGE_BYTES 3072 /* 3 x 32 x 32, planar CHW */
#define NL_CIFAR_RECORD_BYTES 3073
#define NL_CIFAR_TRAIN_BATCHES 5

typedef struct {
    int n;            /* number of images */
    uint8_t *labels;  /* [n], each 0..9 */
    uint8_t *pixels;  /* [n][3][32][32] as in the file */
} nl_cifar_set;

typedef struct {
    nl_cifar_set train; /* data_batch_1..5 concatenated in order */
    nl_cifar_set test;  /* test_batch */
    char class_names[NL_CIFAR_CLASSES][32]; /* from batches.meta.txt, or the standard names */
} nl_cifar;

/* Parses one batch file's bytes (any whole number of records, at least one) and appends it
 * to dst. name is used in error messages. Rejects a length that is not a multiple of 3073
 * and labels > 9. On error dst is unchanged. */
int nl_cifar_append_batch(nl_cifar_set *dst, const uint8_t *buf, size_t len, const char *name,
                          nl_status *st);

/* Reads a gzip-compressed tar archive in memory (the official cifar-10-binary.tar.gz).
 * Finds <any folder>/cifar-10-batches-bin/data_batch_{1..5}.bin, test_batch.bin and batches.meta.txt
 * (meta optional). On error *out is left zeroed and nothing leaks. */
int nl_cifar_load_targz_buffer(nl_cifar *out, const uint8_t *buf, size_t len, nl_status *st);

/* The five train batches and the test batch as buffers, in order data_batch_1..5, test_batch.
 * meta (batches.meta.txt contents) may be NULL. */
int nl_cifar_load_batch_buffers(nl_cifar *out, const uint8_t *const bufs[6], const size_t lens[6],
                                const char *meta, size_t meta_len, nl_status *st);

/* path is the tarball, or a folder holding the six .bin files (the extracted
 * cifar-10-batches-bin/ or its parent). */
int nl_cifar_load_path(nl_cifar *out, const char *path, nl_status *st);

void nl_cifar_free(nl_cifar *data);

/* The standard CIFAR-10 class names, used when batches.meta.txt is absent. */
extern const char *const nl_cifar_default_class_names[NL_CIFAR_CLASSES];

#endif
