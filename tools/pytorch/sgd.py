"""The core's optimiser (core/train/trainer.c sgd_range / sgd_update): SGD with momentum in
PyTorch's form (the buffer starts as the first step's direction), L2 as weight decay
(d = g + l2 * w), an L1 subgradient (d += l1 * sign(w)), optional Nesterov, and per-step LR and
momentum set by the schedule. With norm_decay off, L1/L2 apply to the conv weights only, not
to the norms' gamma and beta. Every coefficient is rounded to float32 as the core's are.
"""
import torch

from normlab_model import f32


def is_penalised(name, norm_decay):
    """Whether L1/L2 apply to the parameter called `name` in the state_dict."""
    return norm_decay or name.endswith("conv.weight") or name == "c10.weight"


class CoreSGD:
    def __init__(self, named_params, l1, l2, norm_decay, nesterov):
        self.params = [(p, is_penalised(n, norm_decay)) for n, p in named_params]
        self.l1, self.l2, self.nesterov = f32(l1), f32(l2), bool(nesterov)
        self.velocity = [torch.zeros_like(p) for p, _ in self.params]
        self.steps = 0

    @torch.no_grad()
    def step(self, lr, momentum):
        lr, m = f32(lr), f32(momentum)
        first = self.steps == 0
        for (w, penalise), v in zip(self.params, self.velocity):
            d = w.grad.clone()
            if penalise and self.l2 != 0.0:
                d += self.l2 * w
            if penalise and self.l1 != 0.0:
                d += self.l1 * torch.sign(w)
            if m != 0.0:
                if first:
                    v.copy_(d)
                else:
                    v.mul_(m).add_(d)
                d = d + m * v if self.nesterov else v
            w -= lr * d
        self.steps += 1

    def zero_grad(self):
        for w, _ in self.params:
            w.grad = None
