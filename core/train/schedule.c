/* Training settings: defaults, validation, and the learning-rate / momentum schedules.
 * OneCycle follows torch.optim.lr_scheduler.OneCycleLR (anneal_strategy='cos',
 * three_phase=False): phase 1 rises from max_lr/div_factor to max_lr until step
 * pct_start*total - 1, phase 2 falls to initial_lr/final_div_factor at step total - 1. */
#include <math.h>
#include <string.h>

#include "train/nl_train.h"

void nl_train_config_default(nl_train_config *c) {
    memset(c, 0, sizeof *c);
    c->epochs = 20;
    c->batch = 128;
    c->schedule = NL_SCHED_ONECYCLE;
    c->max_lr = 0.1f;
    c->momentum = 0.9f;
    c->nesterov = 0;
    c->l1 = 0.0f;
    c->l2 = 5e-4f;
    c->label_smoothing = 0.0f;
    c->pct_start = 0.25f;
    c->div_factor = 25.0f;
    c->final_div_factor = 1e4f;
    c->cycle_momentum = 1;
    c->base_momentum = 0.85f;
    c->max_momentum = 0.95f;
    c->step_epochs = 8;
    c->step_gamma = 0.1f;
    c->aug_crop_pad = 4;
    c->aug_flip = 1;
    c->aug_cutout = 0; /* off: in 4-epoch trials it cost ~1 point (this small net underfits) */
    c->seed = 1;
    c->threads = 1;
}

#define CHECK_RANGE(cond, ...) \
    do {                       \
        if (!(cond)) return nl_fail(st, NL_EINVAL, __VA_ARGS__); \
    } while (0)

int nl_train_config_validate(const nl_train_config *c, nl_status *st) {
    if (!c) return nl_fail(st, NL_EINVAL, "no training settings");
    CHECK_RANGE(c->epochs >= 1 && c->epochs <= 1000, "epochs must be 1..1000, got %d", c->epochs);
    CHECK_RANGE(c->batch >= 1 && c->batch <= 4096, "batch size must be 1..4096, got %d", c->batch);
    CHECK_RANGE(c->schedule >= NL_SCHED_ONECYCLE && c->schedule <= NL_SCHED_CONST,
                "unknown schedule %d (use onecycle, step or const)", (int)c->schedule);
    CHECK_RANGE(c->max_lr > 0.0f && c->max_lr <= 10.0f, "max LR must be in (0, 10], got %g", c->max_lr);
    CHECK_RANGE(c->momentum >= 0.0f && c->momentum < 1.0f, "momentum must be in [0, 1), got %g", c->momentum);
    CHECK_RANGE(c->l1 >= 0.0f && c->l1 < 1.0f, "L1 coefficient must be in [0, 1), got %g", c->l1);
    CHECK_RANGE(c->l2 >= 0.0f && c->l2 < 1.0f, "L2 coefficient must be in [0, 1), got %g", c->l2);
    CHECK_RANGE(c->label_smoothing >= 0.0f && c->label_smoothing < 1.0f,
                "label smoothing must be in [0, 1), got %g", c->label_smoothing);
    if (c->schedule == NL_SCHED_ONECYCLE) {
        CHECK_RANGE(c->pct_start > 0.0f && c->pct_start < 1.0f, "pct_start must be in (0, 1), got %g",
                    c->pct_start);
        CHECK_RANGE(c->div_factor >= 1.0f, "div_factor must be >= 1, got %g", c->div_factor);
        CHECK_RANGE(c->final_div_factor >= 1.0f, "final_div_factor must be >= 1, got %g", c->final_div_factor);
        if (c->cycle_momentum)
            CHECK_RANGE(c->base_momentum >= 0.0f && c->base_momentum <= c->max_momentum && c->max_momentum < 1.0f,
                        "momentum cycle needs 0 <= base (%g) <= max (%g) < 1", c->base_momentum, c->max_momentum);
    }
    if (c->schedule == NL_SCHED_STEP) {
        CHECK_RANGE(c->step_epochs >= 1, "step schedule needs step_epochs >= 1, got %d", c->step_epochs);
        CHECK_RANGE(c->step_gamma > 0.0f && c->step_gamma <= 1.0f, "step gamma must be in (0, 1], got %g",
                    c->step_gamma);
    }
    CHECK_RANGE(c->aug_crop_pad >= 0 && c->aug_crop_pad <= 16, "crop padding must be 0..16, got %d",
                c->aug_crop_pad);
    CHECK_RANGE(c->aug_cutout >= 0 && c->aug_cutout <= 32, "cutout size must be 0..32, got %d", c->aug_cutout);
    CHECK_RANGE(c->threads >= 1 && c->threads <= 64, "threads must be 1..64, got %d", c->threads);
    return NL_OK;
}

int nl_schedule_parse(const char *s, nl_schedule_kind *out) {
    if (!s) return 0;
    if (!strcmp(s, "onecycle")) *out = NL_SCHED_ONECYCLE;
    else if (!strcmp(s, "step")) *out = NL_SCHED_STEP;
    else if (!strcmp(s, "const")) *out = NL_SCHED_CONST;
    else return 0;
    return 1;
}

const char *nl_schedule_name(nl_schedule_kind k) {
    return k == NL_SCHED_ONECYCLE ? "onecycle" : k == NL_SCHED_STEP ? "step" : k == NL_SCHED_CONST ? "const" : "?";
}

static double anneal_cos(double start, double end, double pct) {
    return end + (start - end) / 2.0 * (cos(3.14159265358979323846 * pct) + 1.0);
}

/* Phase boundaries and position, as OneCycleLR computes them. */
static double onecycle_value(const nl_train_config *c, long step, long total, double v0, double v1, double v2) {
    double end1 = (double)c->pct_start * (double)total - 1.0; /* float(pct_start * total_steps) - 1 */
    double end2 = (double)total - 1.0;
    if (step > total - 1) step = total - 1;
    if (step <= end1 || total <= 1) {
        double pct = end1 > 0.0 ? (double)step / end1 : 1.0;
        return anneal_cos(v0, v1, pct);
    }
    double pct = end2 > end1 ? ((double)step - end1) / (end2 - end1) : 1.0;
    return anneal_cos(v1, v2, pct);
}

double nl_schedule_lr(const nl_train_config *c, long step, long total_steps, int steps_per_epoch) {
    switch (c->schedule) {
    case NL_SCHED_ONECYCLE: {
        double max_lr = c->max_lr, initial = max_lr / c->div_factor, min_lr = initial / c->final_div_factor;
        return onecycle_value(c, step, total_steps, initial, max_lr, min_lr);
    }
    case NL_SCHED_STEP: {
        long epoch = steps_per_epoch > 0 ? step / steps_per_epoch : 0;
        return c->max_lr * pow(c->step_gamma, (double)(epoch / c->step_epochs));
    }
    case NL_SCHED_CONST:
    default: return c->max_lr;
    }
}

double nl_schedule_momentum(const nl_train_config *c, long step, long total_steps) {
    if (c->schedule != NL_SCHED_ONECYCLE || !c->cycle_momentum) return c->momentum;
    return onecycle_value(c, step, total_steps, c->max_momentum, c->base_momentum, c->max_momentum);
}
