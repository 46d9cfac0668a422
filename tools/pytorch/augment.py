"""The core's training-image preparation (core/data/augment.c nl_prepare_image and trainer.c
prep_task) for a whole batch: normalise, then a random crop of the image zero-padded by `crop`
pixels, a horizontal flip and a cutout square, each drawn from the core's random stream of
(seed ^ 0xA5A5A5A5, epoch, position in the epoch) in the order crop (dy, dx), flip, cutout
(y, x). Pixels outside the image or in the cutout are 0 in the *normalised* input (the channel
mean), as in the core. Same seed and position = the same augmented image as `normlab train`.
"""
import numpy as np
import torch

import core_rng
from normlab_model import normalise

S = 32


def draw_params(seed, epoch, positions, crop, flip, cutout):
    """Per-image (dy, dx, flip, cut_y, cut_x) int64 arrays, as nl_prepare_image draws them."""
    n = len(positions)
    state = core_rng.stream((int(seed) ^ 0xA5A5A5A5) & core_rng.MASK, epoch, np.asarray(positions, dtype=np.uint64))
    k = 1
    dy = dx = np.zeros(n, dtype=np.int64)
    fl = np.zeros(n, dtype=np.int64)
    cy = cx = np.full(n, -1000, dtype=np.int64)
    if crop > 0:
        dy = core_rng.below(core_rng.draws(state, k), 2 * crop + 1).astype(np.int64) - crop
        dx = core_rng.below(core_rng.draws(state, k + 1), 2 * crop + 1).astype(np.int64) - crop
        k += 2
    if flip:
        fl = core_rng.below(core_rng.draws(state, k), 2).astype(np.int64)
        k += 1
    if cutout > 0:
        cy = core_rng.below(core_rng.draws(state, k), S).astype(np.int64) - cutout // 2
        cx = core_rng.below(core_rng.draws(state, k + 1), S).astype(np.int64) - cutout // 2
    return dy, dx, fl, cy, cx


def prepare_batch(images, seed=0, epoch=0, positions=None, crop=0, flip=False, cutout=0):
    """uint8 images [n, 3, 32, 32] (numpy or torch) -> float32 network input [n, 3, 32, 32].
    positions: each image's position in the epoch (step * global batch + index in the batch);
    with crop = flip = cutout = 0 (or positions None) there is no augmentation."""
    x = normalise(torch.as_tensor(images))
    if positions is None or not (crop > 0 or flip or cutout > 0):
        return x
    n = x.shape[0]
    dy, dx, fl, cy, cx = (torch.from_numpy(a) for a in draw_params(seed, epoch, positions, crop, flip, cutout))
    r = torch.arange(S)
    sy = r[None, :] + dy[:, None]                                            # [n, 32] source row of row y
    sx = torch.where(fl[:, None] > 0, S - 1 - r[None, :], r[None, :]) + dx[:, None]  # [n, 32] source column
    keep = (((sy >= 0) & (sy < S))[:, :, None] & ((sx >= 0) & (sx < S))[:, None, :])  # [n, 32, 32]
    if cutout > 0:
        in_y = (r[None, :] >= cy[:, None]) & (r[None, :] < cy[:, None] + cutout)
        in_x = (r[None, :] >= cx[:, None]) & (r[None, :] < cx[:, None] + cutout)
        keep &= ~(in_y[:, :, None] & in_x[:, None, :])
    rows = sy.clamp(0, S - 1)[:, None, :, None].expand(n, 3, S, S)
    cols = sx.clamp(0, S - 1)[:, None, None, :].expand(n, 3, S, S)
    out = x.gather(2, rows).gather(3, cols)
    return torch.where(keep[:, None, :, :], out, torch.zeros((), dtype=out.dtype))
