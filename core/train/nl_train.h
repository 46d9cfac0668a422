/* The trainer: a model, its optimiser state, a data set (borrowed) and the training loop,
 * run step-wise so that the CLI, the Wasm module and the page share one code path.
 * Same seed + same settings -> bit-identical weights, for any thread count. */
#ifndef NL_TRAIN_H
#define NL_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "data/nl_cifar.h"
#include "nn/nl_model.h"
#include "base/nl_status.h"

typedef enum { NL_SCHED_ONECYCLE = 0, NL_SCHED_STEP = 1, NL_SCHED_CONST = 2 } nl_schedule_kind;

typedef struct {
    int epochs;             /* 20 */
    int batch;              /* 128 */
    nl_schedule_kind schedule;
    float max_lr;           /* OneCycle peak; step/const: the starting LR */
    float momentum;         /* SGD momentum (when not cycled), 0.9 */
    int nesterov;
    float l1;               /* L1 penalty coefficient: grad += l1 * sign(w) */
    float l2;               /* L2 as weight decay: grad += l2 * w (PyTorch SGD weight_decay) */
    int norm_decay;         /* 1: l1/l2 also on the norms' gamma and beta; 0: on conv weights only */
    float label_smoothing;
    /* OneCycle, as torch.optim.lr_scheduler.OneCycleLR (cos anneal, two phases) */
    float pct_start, div_factor, final_div_factor;
    int cycle_momentum;     /* cycle momentum inversely to LR between base and max */
    float base_momentum, max_momentum;
    /* Step: lr *= gamma every step_epochs epochs */
    int step_epochs;
    float step_gamma;
    /* Augmentation (training only) */
    int aug_crop_pad;       /* random crop after zero padding by this many pixels; 0 = off */
    int aug_flip;           /* random horizontal flip */
    int aug_cutout;         /* side of a zeroed square at a random centre; 0 = off */
    uint64_t seed;          /* any of 0 .. 2^64-1 */
    int threads;            /* worker threads, 0 = every available core; results do not depend on it */
    /* The training images used (nl_trainer_set_data): `val` images (val/10 per class, the last
     * of each class in file order) are held out as a validation set, then `train_fraction`
     * of each class's remaining images (the first ones in file order) are trained on. Neither
     * choice depends on the seed, so every norm and seed sees the same images. */
    int val;
    float train_fraction;
} nl_train_config;

/* Defaults, ranges and validation of these settings live in the settings table
 * (serialize/nl_config.h), with the model description's. */
int nl_schedule_parse(const char *s, nl_schedule_kind *out);
const char *nl_schedule_name(nl_schedule_kind k);

/* Learning rate and momentum at optimiser step `step` (0-based) of `total_steps`. */
double nl_schedule_lr(const nl_train_config *c, long step, long total_steps, int steps_per_epoch);
double nl_schedule_momentum(const nl_train_config *c, long step, long total_steps);

typedef struct nl_trainer nl_trainer;

/* Creates a trainer with freshly initialised weights (PyTorch's default init, from seed). */
nl_trainer *nl_trainer_create(const nl_model_desc *d, const nl_train_config *c, nl_status *st);
void nl_trainer_free(nl_trainer *t);

/* Data is borrowed and must outlive its use; a trainer without data can still evaluate
 * buffers and save/load. Setting data (re)starts the epoch bookkeeping at the current step. */
int nl_trainer_set_data(nl_trainer *t, const nl_cifar *data, nl_status *st);

typedef struct {
    int epoch;              /* 0-based epoch the next step belongs to */
    int step_in_epoch;      /* steps done in that epoch */
    int steps_per_epoch;
    long global_step;       /* optimiser steps done so far */
    long total_steps;       /* epochs * steps_per_epoch */
    double lr, momentum;    /* used by the last step */
    double last_loss;       /* mean loss of the last step's batch */
    double epoch_loss;      /* mean training loss so far in the current epoch */
    double epoch_acc;       /* training accuracy so far in the current epoch (0..1) */
    int epoch_done;         /* the last step finished an epoch (epoch already advanced) */
    int finished;           /* all epochs done */
    double images_per_sec;  /* over the steps of the last call */
} nl_progress;

/* Runs up to max_steps optimiser steps, stopping early at the end of an epoch, and reports. */
int nl_trainer_train_steps(nl_trainer *t, int max_steps, nl_progress *p, nl_status *st);
void nl_trainer_progress(const nl_trainer *t, nl_progress *p);
/* Sets how many epochs the run trains in all (Continue past its plan, or a shorter plan):
 * within the settings' range and not fewer than the epochs already begun. The schedule
 * becomes the one planned for the new total: constant and step schedules continue as they
 * would have; OneCycle stretches, so the remaining steps get other learning rates. */
int nl_trainer_set_epochs(nl_trainer *t, int epochs, nl_status *st);

typedef struct {
    int n;
    double loss;            /* mean cross-entropy (no label smoothing) */
    double acc;             /* 0..1 */
    int confusion[10][10];  /* [true][predicted] */
    double class_acc[10];
    uint8_t *pred;          /* [n] predicted class */
    float *conf;            /* [n] softmax probability of the predicted class */
} nl_eval_result;

/* Evaluates in inference mode (BatchNorm running statistics, no dropout, no augmentation). */
int nl_trainer_evaluate(nl_trainer *t, const nl_cifar_set *set, nl_eval_result *r, nl_status *st);
void nl_eval_result_free(nl_eval_result *r);
/* Indices of up to k misclassified images; by_confidence: most confident mistakes first,
 * else in data-set order. Returns how many were written. */
int nl_eval_misclassified(const nl_eval_result *r, const nl_cifar_set *set, int k,
                          int by_confidence, int *out_index);

/* Logits [n][classes] for images given as CIFAR bytes [n][3][32][32] (normalised inside). */
int nl_trainer_predict(nl_trainer *t, const uint8_t *images, int n, float *logits, nl_status *st);

const nl_model_layout *nl_trainer_layout(const nl_trainer *t);
const nl_train_config *nl_trainer_config(const nl_trainer *t);
/* Trainable parameters (layout order, see nl_model.h) and BN running statistics. */
float *nl_trainer_params(const nl_trainer *t);
float *nl_trainer_bn_state(const nl_trainer *t);
int64_t nl_trainer_bn_batches(const nl_trainer *t); /* BatchNorm num_batches_tracked */
void nl_trainer_set_bn_batches(nl_trainer *t, int64_t n);
float *nl_trainer_velocity(const nl_trainer *t);           /* SGD momentum buffers [n_params] */

/* The validation images held out by cfg.val (NULL without), and the number of training
 * images actually trained on (after val and train_fraction), once data is set. */
const nl_cifar_set *nl_trainer_val_set(const nl_trainer *t);
int nl_trainer_train_count(const nl_trainer *t);

/* The progress and optimiser counters (what a checkpoint keeps besides the arrays). */
#define NL_TRAIN_MAX_IMAGES 60000
typedef struct {
    long global_step;
    int epoch, step_in_epoch;
    int n_train;            /* training images the schedule was laid out for */
    double epoch_loss_sum;
    long epoch_correct, epoch_seen;
    double last_loss, lr, momentum;
    int64_t bn_batches;
} nl_trainer_state;
void nl_trainer_get_state(const nl_trainer *t, nl_trainer_state *s);
/* Range-checks every counter against the trainer's settings (epoch <= epochs, step <=
 * epochs x steps per epoch, ...) and sets them only if all are in range. */
int nl_trainer_set_state(nl_trainer *t, const nl_trainer_state *s, nl_status *st);

/* Per-channel normalisation constants applied to input pixels (x/255 - mean) / std. */
extern const float nl_cifar_mean[3], nl_cifar_std[3];

#endif
