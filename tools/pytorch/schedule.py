"""The core's learning-rate and momentum schedules (core/train/schedule.c), per optimiser step.
OneCycle follows torch.optim.lr_scheduler.OneCycleLR (cos anneal, two phases); step multiplies
by step_gamma every step_epochs epochs; const keeps max_lr. Settings are the float32 values
the core stores (run_config rounds them), the arithmetic is in double as in the core.
"""
import math


def _anneal_cos(start, end, pct):
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1.0)


def _onecycle(cfg, step, total, v0, v1, v2):
    end1 = cfg["pct_start"] * total - 1.0
    end2 = total - 1.0
    step = min(step, total - 1)
    if step <= end1 or total <= 1:
        return _anneal_cos(v0, v1, step / end1 if end1 > 0.0 else 1.0)
    return _anneal_cos(v1, v2, (step - end1) / (end2 - end1) if end2 > end1 else 1.0)


def lr_at(cfg, step, total_steps, steps_per_epoch):
    """Learning rate of optimiser step `step` (0-based) of `total_steps`."""
    if cfg["schedule"] == "onecycle":
        initial = cfg["max_lr"] / cfg["div_factor"]
        return _onecycle(cfg, step, total_steps, initial, cfg["max_lr"], initial / cfg["final_div_factor"])
    if cfg["schedule"] == "step":
        epoch = step // steps_per_epoch if steps_per_epoch > 0 else 0
        return cfg["max_lr"] * math.pow(cfg["step_gamma"], float(epoch // cfg["step_epochs"]))
    return cfg["max_lr"]


def momentum_at(cfg, step, total_steps):
    """SGD momentum of step `step`: cycled inversely to the LR under OneCycle with cycle_momentum."""
    if cfg["schedule"] != "onecycle" or not cfg["cycle_momentum"]:
        return cfg["momentum"]
    return _onecycle(cfg, step, total_steps, cfg["max_momentum"], cfg["base_momentum"], cfg["max_momentum"])
