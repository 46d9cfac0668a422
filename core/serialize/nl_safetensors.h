/* PyTorch interchange: the trainer's weights as a safetensors file whose tensors have exactly
 * the names, shapes and dtypes of the state_dict() of tools/pytorch/normlab_model.py:
 *
 *   for each conv block N in C1 C2 c3 C3 C4 C5 c6 C7 C8 C9:
 *     N.conv.weight              F32 [co, ci, k, k]   (OIHW; the core stores HWIO)
 *     N.norm.weight              F32 [co]             (gamma)
 *     N.norm.bias                F32 [co]             (beta)
 *     N.norm.running_mean        F32 [co]             BN only
 *     N.norm.running_var         F32 [co]             BN only
 *     N.norm.num_batches_tracked I64 []               BN only (nl_trainer_bn_batches)
 *   c10.weight                   F32 [classes, ci, 1, 1]
 *
 * __metadata__ = {"format": "pt", "normlab_model": <the JSON description, nl_model_json.h>,
 *                 "normlab_config": <the whole run configuration, nl_config.h>}.
 *
 * File layout (https://github.com/huggingface/safetensors): u64 little-endian header length
 * N, N bytes of JSON header (padded with spaces to a multiple of 8), then the tensor data,
 * little-endian, each tensor at data_offsets [begin, end) relative to the end of the header.
 *
 * Buffer-based, so the Wasm module can call it on in-memory bytes; *_file variants for the CLI.
 * Import validates everything (header length and JSON, every tensor's name, dtype, shape and
 * data_offsets, which must tile the data area exactly, finite values, running_var >= 0) before
 * it builds anything: on error it returns NULL, st explains, nothing is loaded. */
#ifndef NL_SAFETENSORS_H
#define NL_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "nn/nl_model.h"
#include "base/nl_status.h"
#include "train/nl_train.h"

/* Upper bounds accepted on import. */
#define NL_SAFETENSORS_MAX_HEADER (100u << 20)
#define NL_SAFETENSORS_MAX_FILE (512u << 20)

/* Writes the trainer's parameters (and BN running statistics) as a new malloc'd buffer. */
int nl_safetensors_export(const nl_trainer *t, uint8_t **out, size_t *len, nl_status *st);
/* The same, written atomically (path.tmp, then renamed). */
int nl_safetensors_export_file(const nl_trainer *t, const char *path, nl_status *st);

/* Creates a trainer holding the weights of a safetensors buffer. The model is desc, or, when
 * desc is NULL, the "normlab_model" description in the file's metadata. The training settings
 * are cfg, or when NULL the "normlab_config" configuration in the metadata, else the defaults
 * for the model's norm. Optimiser state and progress start from zero; BN's
 * num_batches_tracked (the largest of the per-layer counters) becomes nl_trainer_bn_batches. */
nl_trainer *nl_safetensors_import(const uint8_t *buf, size_t len, const nl_model_desc *desc,
                                  const nl_train_config *cfg, nl_status *st);
nl_trainer *nl_safetensors_import_file(const char *path, const nl_model_desc *desc, const nl_train_config *cfg,
                                       nl_status *st);

/* Reads only the "normlab_model" description from a safetensors buffer's metadata (after
 * checking the header). Fails if there is none. */
int nl_safetensors_read_desc(const uint8_t *buf, size_t len, nl_model_desc *out, nl_status *st);

#endif
