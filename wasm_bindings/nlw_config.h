/* Model description + training settings as text, one "key = value" per line, e.g.
 *   preset = default       (or reference; the starting point, read first with norm)
 *   norm = gn
 *   widths = 16,32,16,24,32,32,16,32,32,32
 *   skips = P1-c6,C7-C9    (layer names or indices; empty = none)
 *   maxLr = 0.05
 * Keys are the JS API's option names (see README.md). Text keeps the Wasm surface to one
 * string argument, gives precise error messages for bad values, and lets the native
 * parity tool read exactly the same settings from a file. Shared by Wasm and native. */
#ifndef NLW_CONFIG_H
#define NLW_CONFIG_H

#include <stddef.h>

#include "nn/nl_model.h"
#include "base/nl_status.h"
#include "train/nl_train.h"

/* Parses text into d and c (starting from the defaults), then validates both with the
 * core. On error st explains which key/value is wrong; d and c are then unspecified. */
int nlw_config_parse(const char *text, nl_model_desc *d, nl_train_config *c, nl_status *st);

/* Writes d and c as a JSON object with the same keys (for trainers loaded from checkpoints).
 * Returns the length written (truncated to cap - 1 like snprintf), or -1. */
int nlw_config_to_json(const nl_model_desc *d, const nl_train_config *c, char *out, size_t cap);

#endif
