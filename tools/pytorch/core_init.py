"""The core's initial weights (core/nn/net.c nl_net_init_params) for a NormlabNet: every conv
weight U(-1/sqrt(fan_in), 1/sqrt(fan_in)) as PyTorch's default, but drawn from the core's
stream (seed, 0x1417, 0) in the core's order (blocks C1 .. C9 then c10, each in HWIO order),
so train.py starts from exactly the weights `normlab train` starts from for the same seed.
Norm gamma = 1, beta = 0, running mean 0 / var 1 are PyTorch's defaults already.
"""
import numpy as np
import torch

import core_rng
from normlab_model import BLOCKS


@torch.no_grad()
def init_like_core(model, seed):
    convs = [getattr(model, b).conv.weight for b in BLOCKS] + [model.c10.weight]
    sizes = [w.numel() for w in convs]
    state = core_rng.stream(seed, 0x1417, 0)
    u = core_rng.uniform(core_rng.draws(state, np.arange(1, sum(sizes) + 1, dtype=np.uint64)))
    off = 0
    for w, n in zip(convs, sizes):
        co, ci, kh, kw = w.shape
        bound = np.float32(1.0) / np.sqrt(np.float32(ci * kh * kw))
        vals = (np.float32(2.0) * u[off:off + n] - np.float32(1.0)) * bound
        w.copy_(torch.from_numpy(vals.reshape(kh, kw, ci, co).transpose(3, 2, 0, 1).copy()))
        off += n
    return model
