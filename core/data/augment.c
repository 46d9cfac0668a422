#include "data/nl_augment.h"

#include <string.h>

#include "data/nl_cifar.h"
#include "train/nl_train.h"

/* CIFAR-10 training-set channel means and standard deviations (of x/255). */
const float nl_cifar_mean[3] = {0.4914f, 0.4822f, 0.4465f};
const float nl_cifar_std[3] = {0.2470f, 0.2435f, 0.2616f};

void nl_prepare_image(const uint8_t *src, float *dst, const nl_augment *aug, nl_rng *rng) {
    enum { S = NL_CIFAR_HW, P = S * S };
    int dx = 0, dy = 0, flip = 0, cut_y = -1000, cut_x = -1000, cut = 0;
    if (aug && rng) {
        /* Draw order is fixed: crop, flip, cutout. */
        if (aug->crop_pad > 0) {
            dy = (int)nl_rng_below(rng, (uint32_t)(2 * aug->crop_pad + 1)) - aug->crop_pad;
            dx = (int)nl_rng_below(rng, (uint32_t)(2 * aug->crop_pad + 1)) - aug->crop_pad;
        }
        if (aug->flip) flip = (int)nl_rng_below(rng, 2);
        if (aug->cutout > 0) {
            cut = aug->cutout;
            cut_y = (int)nl_rng_below(rng, S) - cut / 2;
            cut_x = (int)nl_rng_below(rng, S) - cut / 2;
        }
    }
    float scale[3], shift[3];
    for (int c = 0; c < 3; c++) {
        scale[c] = 1.0f / (255.0f * nl_cifar_std[c]);
        shift[c] = -nl_cifar_mean[c] / nl_cifar_std[c];
    }
    for (int y = 0; y < S; y++) {
        int sy = y + dy;
        for (int x = 0; x < S; x++) {
            int sx0 = flip ? S - 1 - x : x;
            int sx = sx0 + dx;
            float *o = dst + ((size_t)y * S + x) * 3;
            int inside = sy >= 0 && sy < S && sx >= 0 && sx < S;
            int cutout = y >= cut_y && y < cut_y + cut && x >= cut_x && x < cut_x + cut;
            if (!inside || cutout) {
                o[0] = o[1] = o[2] = 0.0f;
                continue;
            }
            int si = sy * S + sx;
            for (int c = 0; c < 3; c++) o[c] = (float)src[c * P + si] * scale[c] + shift[c];
        }
    }
}
