/* Test helpers: small synthetic CIFAR-10 data in the official binary format, packed as a
 * folder, a tar archive or a gzip file, plus temp-dir and file utilities.
 *
 * Images are learnable quickly: class c has its own colour and stripe pattern (horizontal
 * stripes for even c, vertical for odd c, a period depending on c), with random stripe
 * phase, brightness and per-pixel noise. All output is a pure function of the seed. */
#ifndef NL_SYNTH_H
#define NL_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "train/nl_train.h"

/* ---- CIFAR-format data ---- */

/* Bytes of n records. */
#define NL_SYNTH_BATCH_BYTES(n) ((size_t)(n) * 3073u)

/* One 3x32x32 planar image (3072 bytes) of class label (0..9). */
void nl_synth_image(uint8_t *pixels, int label, uint64_t seed);

/* n records (label byte + image) into buf (NL_SYNTH_BATCH_BYTES(n) bytes); labels are
 * uniformly random. */
void nl_synth_batch(uint8_t *buf, int n, uint64_t seed);

/* The seed nl_synth_write_dir and nl_synth_cifar_tar use for batch b (0..4 train, 5 test). */
uint64_t nl_synth_batch_seed(uint64_t seed, int b);

/* Writes dir/cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin and batches.meta.txt
 * (the standard class names). dir must exist. Returns 0, or -1 on an I/O error. */
int nl_synth_write_dir(const char *dir, int n_per_train_batch, int n_test, uint64_t seed);

/* ---- archives in memory (malloc'd, free() them; NULL on failure) ---- */

typedef struct {
    const char *name; /* path inside the archive; up to 255 chars (split into ustar prefix) */
    const uint8_t *data;
    size_t len;
} nl_synth_file;

/* A POSIX ustar archive of regular files, ending with two zero blocks. */
uint8_t *nl_synth_write_tar(const nl_synth_file *files, int n_files, size_t *out_len);

/* The same six batches and meta file as nl_synth_write_dir, as a tar whose entries sit in
 * folder/ (e.g. "cifar-10-batches-bin"), or at the top level if folder is NULL. */
uint8_t *nl_synth_cifar_tar(int n_per_train_batch, int n_test, uint64_t seed, const char *folder,
                            size_t *out_len);

/* data wrapped as a valid gzip file using stored (uncompressed) DEFLATE blocks. */
uint8_t *nl_synth_gzip_stored(const uint8_t *data, size_t len, size_t *out_len);

/* ---- files, temp dirs, commands ---- */

/* Creates a fresh directory /tmp/nl_test_XXXXXX; path needs 32 bytes. Returns 0 or -1. */
int nl_synth_tmpdir(char *path, size_t size);

/* Deletes a directory made by nl_synth_tmpdir and everything in it. */
void nl_synth_rmtree(const char *path);

/* Returns 0, or -1 on an I/O error. */
int nl_synth_write_file(const char *path, const void *data, size_t len);

/* The whole file (malloc'd), or NULL. */
uint8_t *nl_synth_read_file(const char *path, size_t *len);

/* Runs a shell command built with printf formatting; returns its exit status (-1 if it
 * could not run or was killed). */
int nl_synth_run(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* An in-memory data set of uniformly random pixels and labels (from nl_rng stream (seed, 0, 0)),
 * with the standard class names; free with nl_cifar_free. For tests that need data of the
 * right shape, not learnable data. */
#include "data/nl_cifar.h"
nl_cifar nl_synth_random_cifar(int n_train, int n_test, uint64_t seed);

/* dir/name as a NUL-terminated string (malloc'd; empty if the file is missing), and the
 * number of newline characters in a string: for reading the output of commands under test. */
char *nl_synth_read_text(const char *dir, const char *name);
/* The default training settings (BN's, from the settings table). */
void nl_synth_train_defaults(nl_train_config *c);
/* The trainer's parameters followed by its BN running statistics (malloc'd; *n floats), and
 * frees the trainer: what the bit-for-bit comparisons of a run compare. */
float *nl_synth_take_weights(nl_trainer *t, size_t *n);
int nl_synth_count_lines(const char *s);

#endif
