/* The trainer's state, shared by trainer.c and checkpoint.c (not part of the public API). */
#ifndef NL_TRAINER_IMPL_H
#define NL_TRAINER_IMPL_H

#include "nn/nl_net.h"
#include "train/nl_train.h"

struct nl_trainer {
    nl_train_config cfg;
    nl_net net;
    nl_thread_pool *pool;
    float *velocity;        /* SGD momentum buffers [n_params] */
    const nl_cifar *data;   /* borrowed */
    int n_train;            /* size of the training set the schedule was laid out for */
    int *perm;              /* shuffled order of the current epoch */
    int perm_epoch;         /* epoch perm belongs to, -1 = none */
    uint8_t *batch_labels;  /* [batch] */
    /* progress, saved in checkpoints */
    long global_step;
    int epoch, step_in_epoch;
    double epoch_loss_sum;
    long epoch_correct, epoch_seen;
    double last_loss, lr, mom;
};

/* Creates a trainer whose net is allocated but whose state the caller then fills. */
nl_trainer *nl_trainer_alloc(const nl_model_desc *d, const nl_train_config *c, nl_status *st);
int nl_trainer_steps_per_epoch(const nl_trainer *t);

#endif
