/* The model description as JSON, shared by the C core, the CLI, the web page and PyTorch
 * (tools/pytorch/normlab_model.py):
 *
 * {
 *   "format": "normlab-model",            required
 *   "version": 1,                         required
 *   "layout": ["C1", "C2", "c3", "P1", "C3", "C4", "C5", "c6", "P2", "C7", "C8", "C9", "GAP", "c10"],
 *   "norm": "bn" | "gn" | "ln",           required
 *   "groups": 0,                          GN: groups per layer, 0 = use group_size
 *   "group_size": 8,                      GN: channels per group when groups == 0
 *   "widths": [10 integers],              output channels of C1 C2 c3 C3 C4 C5 c6 C7 C8 C9
 *   "pads": [10 integers],                padding of those convs (0 or 1; 1x1 convs 0)
 *   "skips": [["P1", "c6"], ["C7", "C9"]], out[to] += out[from], by layer name
 *   "dropout": 0,
 *   "bn_momentum": 0.1,
 *   "eps": 1e-05,
 *   "in_channels": 3, "in_hw": 32, "classes": 10
 * }
 *
 * Fields other than format, version and norm are optional and default to
 * nl_model_desc_default(norm); "layout", when present, must be exactly the list above.
 * Unknown fields are rejected. Floats are written with the fewest digits that read back to
 * the same float32, so to_json -> from_json gives back the identical description. */
#ifndef NL_MODEL_JSON_H
#define NL_MODEL_JSON_H

#include <stddef.h>

#include "nn/nl_model.h"
#include "base/nl_status.h"

/* Enough for any valid description. */
#define NL_MODEL_JSON_MAX 2048

/* Validates d, then writes its JSON (NUL-terminated, no trailing newline) into buf. Fails
 * with NL_EINVAL if d is invalid or cap is too small (NL_MODEL_JSON_MAX always suffices). */
int nl_model_desc_to_json(const nl_model_desc *d, char *buf, size_t cap, nl_status *st);

/* Parses json[0..len) (need not be NUL-terminated) and validates the result with
 * nl_model_desc_validate. On error *out is untouched and st explains, e.g.
 * "model JSON: widths must have 10 integers". */
int nl_model_desc_from_json(const char *json, size_t len, nl_model_desc *out, nl_status *st);

/* File variants: read (at most 1 MB) / write atomically (with a trailing newline). */
int nl_model_desc_from_json_file(const char *path, nl_model_desc *out, nl_status *st);
int nl_model_desc_to_json_file(const nl_model_desc *d, const char *path, nl_status *st);

#endif
