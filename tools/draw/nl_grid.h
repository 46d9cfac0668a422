/* Renders misclassified CIFAR test images as one labelled picture for reports. */
#ifndef NL_GRID_H
#define NL_GRID_H

#include <stdint.h>

#include "base/nl_status.h"

#define NL_GRID_COLS 5
#define NL_GRID_ROWS 2
#define NL_GRID_MAX_IMAGES (NL_GRID_COLS * NL_GRID_ROWS)

/* Draws up to 10 images (each 3x32x32 planar bytes, as in nl_cifar.h) on a white 5 x 2 grid,
 * in order left to right, top row first. Each image is enlarged (nearest neighbour) and
 * labelled underneath with "true: <name>", "pred: <name>" (red when wrong, green when
 * right) and, if conf is not NULL, "conf: <N>%" (conf[i] in 0..1). title (NULL or "" for
 * none) goes on a line at the top. Cells past count stay empty.
 * On success *rgb_out is a new buffer (free() it) of *w_out x *h_out interleaved RGB pixels,
 * ready for nl_png_encode_rgb. The size depends only on class_names and whether title and
 * conf are given. count outside 1..10, labels outside 0..9, NULL images or names, and conf
 * outside 0..1 give NL_EINVAL. */
int nl_render_misclassified_grid(const uint8_t *const images[], const int true_label[],
                                 const int pred_label[], const float conf[], int count,
                                 const char *const class_names[10], const char *title,
                                 uint8_t **rgb_out, int *w_out, int *h_out, nl_status *st);

#endif
