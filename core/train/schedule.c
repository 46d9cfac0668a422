/* The learning-rate / momentum schedules (settings: serialize/nl_config.h).
 * OneCycle follows torch.optim.lr_scheduler.OneCycleLR (anneal_strategy='cos',
 * three_phase=False): phase 1 rises from max_lr/div_factor to max_lr until step
 * pct_start*total - 1, phase 2 falls to initial_lr/final_div_factor at step total - 1. */
#include <math.h>
#include <string.h>

#include "train/nl_train.h"

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
