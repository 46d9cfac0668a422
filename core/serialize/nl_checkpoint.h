/* Checkpoints: a trainer's whole state (model, settings, weights, BatchNorm statistics,
 * optimiser, progress) in one versioned, CRC-checked file; loading validates everything
 * before use. */
#ifndef NL_CHECKPOINT_H
#define NL_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "base/nl_status.h"
#include "train/nl_train.h"

/* The format version this build writes and reads (2: the run configuration JSON embedded). */
#define NL_CHECKPOINT_VERSION 2u

int nl_checkpoint_save_buffer(const nl_trainer *t, uint8_t **out, size_t *len, nl_status *st);
/* Atomic: writes path.tmp then renames over path. */
int nl_checkpoint_save_file(const nl_trainer *t, const char *path, nl_status *st);
/* Creates a new trainer from a checkpoint (model, weights, BN stats, optimiser, progress).
 * threads overrides the stored thread count when > 0. On error returns NULL, st explains. */
nl_trainer *nl_checkpoint_load_buffer(const uint8_t *buf, size_t len, int threads, nl_status *st);
nl_trainer *nl_checkpoint_load_file(const char *path, int threads, nl_status *st);

#endif
