/* Turning CIFAR bytes into the network's input: per-channel normalisation and the seeded
 * training augmentations (random crop after padding, horizontal flip, cutout). */
#ifndef NL_AUGMENT_H
#define NL_AUGMENT_H

#include <stdint.h>

#include "base/nl_rng.h"

typedef struct {
    int crop_pad;  /* 0 = no crop */
    int flip;
    int cutout;    /* side of the zeroed square, 0 = off */
} nl_augment;

/* src: [3][32][32] bytes (CIFAR planar). dst: [32][32][3] normalised floats (NHWC).
 * aug NULL or all-zero: plain normalisation. Padding and cutout are zeros after
 * normalisation (the data-set mean colour). rng is only used when aug is active. */
void nl_prepare_image(const uint8_t *src, float *dst, const nl_augment *aug, nl_rng *rng);

#endif
