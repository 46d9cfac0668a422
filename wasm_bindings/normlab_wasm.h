/* The narrow C surface the Wasm module exports (all names start with nlw_). Every function
 * returns an nl_status code (0 = OK); on failure nlw_last_error() holds the core's message.
 * Outputs go through pointer arguments. Bad input never aborts. All calls must come from
 * one thread (the JS thread that owns the module); the core's worker threads are internal.
 *
 * Settings are a configuration JSON (core/serialize/nl_config.h: one object with the model
 * and training fields, e.g. {"norm": "gn", "seed": "4000000000"}; missing fields take their
 * defaults; NULL or "" = all defaults), the same JSON `normlab config` writes and
 * `normlab train --config` reads. nlw_config_schema_json describes every field. Bulk data stays in
 * Wasm memory: functions hand out pointers into it, valid until the next call that
 * changes the same object (the JS wrapper copies them out at once). */
#ifndef NORMLAB_WASM_H
#define NORMLAB_WASM_H

#include <stddef.h>
#include <stdint.h>

#define NLW_ABI_VERSION 3

/* nlw_trainer_train / nlw_trainer_progress write this many doubles: */
#define NLW_PROGRESS_LEN 16
enum {
    NLW_P_EPOCH = 0, NLW_P_STEP_IN_EPOCH, NLW_P_STEPS_PER_EPOCH, NLW_P_GLOBAL_STEP, NLW_P_TOTAL_STEPS,
    NLW_P_LR, NLW_P_MOMENTUM, NLW_P_LAST_LOSS, NLW_P_EPOCH_LOSS, NLW_P_EPOCH_ACC, NLW_P_EPOCH_DONE,
    NLW_P_FINISHED, NLW_P_IMAGES_PER_SEC, NLW_P_STEPS_RUN
};
/* nlw_trainer_evaluate writes this many doubles: n, loss, acc, class_acc[10] */
#define NLW_EVAL_LEN 13

typedef struct nlw_trainer nlw_trainer;

int nlw_abi_version(void);
const char *nlw_last_error(void);
int nlw_last_error_code(void);

/* ---- the data set (one per module; trainers see the current one) ---- */
/* A tar archive (the official one, decompressed by the caller: DecompressionStream,
 * node:zlib) in pieces of any size: begin, feed..., finish (installs the data set if it is
 * complete) or abort. Only the parsed images stay in memory. */
int nlw_data_stream_begin(void);
int nlw_data_stream_feed(const uint8_t *buf, size_t len);
int nlw_data_stream_finish(void);
int nlw_data_stream_abort(void);
/* bufs/lens: data_batch_1..5, test_batch */
int nlw_data_load_batches(const uint8_t *const *bufs, const size_t *lens);
/* {"train":n,"test":n,"classNames":[...]} into *json (valid until the next *_json call) */
int nlw_data_info_json(const char **json);
/* set: 0 = test, 1 = train. Pointers into the loaded set: pixels [n][3072], labels [n]. */
int nlw_data_images(int set, const uint8_t **pixels, const uint8_t **labels, int32_t *n);
/* Frees the data set; fails while trainers exist (they borrow it). */
int nlw_data_free(void);

/* ---- trainers ---- */
int nlw_trainer_create(const char *config, nlw_trainer **out);
/* threads > 0 overrides the thread count stored in the checkpoint. */
int nlw_trainer_load_checkpoint(const uint8_t *buf, size_t len, int threads, nlw_trainer **out);
int nlw_trainer_free(nlw_trainer *h);
int nlw_trainer_train(nlw_trainer *h, int steps, double *progress);
int nlw_trainer_progress(nlw_trainer *h, double *progress);
/* Sets the run's total epochs (1..1000, not fewer than those begun): train on past the plan. */
int nlw_trainer_set_epochs(nlw_trainer *h, int epochs);
/* Evaluates set 0 (test), 1 (train) or 2 (the validation images the configuration's val
 * holds out); keeps predictions for the two calls below. */
int nlw_trainer_evaluate(nlw_trainer *h, int set, double *summary, int32_t *confusion100);
int nlw_trainer_eval_predictions(nlw_trainer *h, const uint8_t **pred, const float **conf, int32_t *n);
/* Up to k misclassified indices of the last evaluation (by_confidence: most confident first). */
int nlw_trainer_misclassified(nlw_trainer *h, int k, int by_confidence, int32_t *out_index, int32_t *count);
/* Logits [n][10] for CIFAR-format images [n][3072]. */
int nlw_trainer_predict(nlw_trainer *h, const uint8_t *images, int n, float *logits);
int nlw_trainer_params(nlw_trainer *h, const float **params, int32_t *n);
int nlw_trainer_bn_state(nlw_trainer *h, const float **state, int32_t *n);
int nlw_trainer_report_json(nlw_trainer *h, const char **json);
/* The trainer's full configuration JSON (every field). */
int nlw_trainer_config_json(nlw_trainer *h, const char **json);
/* The held-out validation images (pixels [n][3072], labels [n]) for the current data set. */
int nlw_trainer_val_images(nlw_trainer *h, const uint8_t **pixels, const uint8_t **labels, int32_t *n);
/* {"train": images trained on, "val": held-out images} for the current data set. */
int nlw_trainer_data_json(nlw_trainer *h, const char **json);
/* *out is malloc'd: the caller frees it with free(). */
int nlw_checkpoint_save(nlw_trainer *h, uint8_t **out, size_t *len);

/* The parameter / receptive-field report of a configuration's model, without a trainer. */
int nlw_model_report_json(const char *config, const char **json);
/* A (partial) configuration JSON -> the complete, validated one (defaults filled in). */
int nlw_config_json(const char *config, const char **json);
/* The settings table: every field's name, CLI flag, type, range, defaults (per norm or per
 * preset) and help text (nl_config_schema_json). */
int nlw_config_schema_json(const char **json);

/* PyTorch interchange: safetensors bytes (malloc'd, free() them) with the reference module's
 * state_dict names; a trainer from such bytes (model from the file's metadata, training
 * settings from config, or when NULL/"" from the file's normlab_config metadata); the model
 * description as JSON. */
int nlw_safetensors_export(nlw_trainer *h, uint8_t **out, size_t *len);
int nlw_trainer_from_safetensors(const uint8_t *buf, size_t len, const char *config, nlw_trainer **out);
int nlw_trainer_model_json(nlw_trainer *h, const char **json);

/* Where training time goes (core/base/nl_profile.h): nlw_profile_start(1) clears the
 * per-layer, per-pass timers and turns them on (for every trainer and thread), (0) turns them
 * off; nlw_profile_json gives what they hold: {"layers": [15 names, the last "step"],
 * "passes": [9 names], "seconds": [[per pass] per layer]}, seconds summed over threads.
 * Not while a trainer runs (calls come from the owning thread, so never). */
int nlw_profile_start(int on);
int nlw_profile_json(const char **json);

/* The SIMD128 kernel set every trainer uses (core/nn/kernels/nl_kernels.h): "wasmsimd"
 * (V8's fastest) or "wasmsimd_unroll4" (k loops unrolled by 4: SpiderMonkey's); the same bits
 * either way. Select between steps only. nlw_kernels_name: the current one. */
int nlw_kernels_select(const char *name);
const char *nlw_kernels_name(void);

#endif
