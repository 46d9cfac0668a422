/* CIFAR-10 in its official binary format: records of 1 label byte + 3072 pixel bytes
 * (1024 red, 1024 green, 1024 blue; rows top to bottom). Readable from the official
 * cifar-10-binary.tar.gz (natively through zlib, data/cifar_files.c), a plain tar, the
 * extracted cifar-10-batches-bin/ folder, or memory: the six batch buffers, or a tar stream
 * fed in pieces (the browser decompresses with DecompressionStream and feeds the tar). */
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
/* The most records a set may have (CIFAR-10 has 50,000 + 10,000): allocation sizes are
 * checked against this, never taken from a size field alone. */
#define NL_CIFAR_MAX_RECORDS 60000
/* batches.meta.txt is ten short lines; anything far larger is not one. */
#define NL_CIFAR_META_MAX 4096

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
 * to dst. name is used in error messages. Rejects a length that is not a multiple of 3073,
 * labels > 9 and a set of more than NL_CIFAR_MAX_RECORDS. On error dst is unchanged. */
int nl_cifar_append_batch(nl_cifar_set *dst, const uint8_t *buf, size_t len, const char *name,
                          nl_status *st);

/* ---- a tar archive, fed in pieces ----
 * The official archive's members, decompressed: <any folder>/cifar-10-batches-bin/
 * data_batch_{1..5}.bin, test_batch.bin and batches.meta.txt (meta optional), in any order.
 * Files are matched by base name, preferring those in a cifar-10-batches-bin/ folder; among
 * equals the later one wins, as when tar extracts. Records are parsed straight into the data
 * set as the bytes arrive: neither the archive nor a batch file is ever held whole. */
typedef struct nl_cifar_stream nl_cifar_stream;

/* label names the source in error messages ("archive", a file name); NULL on ENOMEM. */
nl_cifar_stream *nl_cifar_stream_new(const char *label, nl_status *st);
/* Any number of bytes, any split. After an error every later call fails too. */
int nl_cifar_stream_feed(nl_cifar_stream *s, const uint8_t *buf, size_t len, nl_status *st);
/* The input has ended: checks the archive is complete and has the six batch files, then
 * moves the data set into *out (zeroed on error). The stream is still to be freed. */
int nl_cifar_stream_finish(nl_cifar_stream *s, nl_cifar *out, nl_status *st);
void nl_cifar_stream_free(nl_cifar_stream *s);

/* A whole (plain, not compressed) tar archive in memory, through the stream. A gzip file is
 * refused with a message: decompression is the platform's job (zlib, DecompressionStream).
 * On error *out is left zeroed and nothing leaks. */
int nl_cifar_load_tar_buffer(nl_cifar *out, const uint8_t *buf, size_t len, nl_status *st);

/* The five train batches and the test batch as buffers, in order data_batch_1..5, test_batch.
 * meta (batches.meta.txt contents) may be NULL. */
int nl_cifar_load_batch_buffers(nl_cifar *out, const uint8_t *const bufs[6], const size_t lens[6],
                                const char *meta, size_t meta_len, nl_status *st);

/* Native builds only (data/cifar_files.c, zlib): path is the .tar.gz (read through zlib in
 * pieces) or .tar, or a folder holding the six .bin files (the extracted
 * cifar-10-batches-bin/ or its parent). */
int nl_cifar_load_path(nl_cifar *out, const char *path, nl_status *st);

void nl_cifar_free(nl_cifar *data);
/* Zeroes *out and sets the standard class names. */
void nl_cifar_reset(nl_cifar *out);
/* batches.meta.txt: the class names one per line in label order into out->class_names; blank
 * lines (the official file ends with some) and surrounding white space (e.g. "\r") are
 * ignored. Fails unless there are ten names. */
int nl_cifar_parse_meta(nl_cifar *out, const char *meta, size_t len, nl_status *st);

/* The standard CIFAR-10 class names, used when batches.meta.txt is absent. */
extern const char *const nl_cifar_default_class_names[NL_CIFAR_CLASSES];

#endif
