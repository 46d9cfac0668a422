#!/usr/bin/python3
"""Golden fixtures: the normlab C core against PyTorch (run with Debian's /usr/bin/python3,
which has torch 1.13).  Writes tests/golden/fixtures/*.bin, read by tests/c/test_golden_torch.c.

    /usr/bin/python3 tests/golden/make_golden.py            # regenerate the fixtures
    /usr/bin/python3 tests/golden/make_golden.py --dump F   # print a fixture file

The reference is PyTorch itself (nn.Conv2d / nn.BatchNorm2d / nn.GroupNorm / F.max_pool2d /
F.cross_entropy / torch.optim.SGD / OneCycleLR) in float32, mirroring the C conventions:

  * network C1 C2 c3 P1 C3 C4 C5 c6 P2 C7 C8 C9 GAP c10; block = conv(no bias) -> norm ->
    ReLU (or conv -> ReLU -> norm with order relu_norm), then out[to] += out[from] for each
    skip (in list order); with weight_std the ten block convs use (W - mean) / sqrt(biased
    var + 1e-5) per output channel (over ci, kh, kw; c10 not); pools = max_pool2d(2)
    (floor); GAP = mean over H, W; c10 = 1x1 conv without bias; loss = mean cross-entropy
    with label smoothing;
  * flat parameter layout per block: conv weight HWIO [kh][kw][ci][co] (= torch weight
    .permute(2, 3, 1, 0)), gamma[co], beta[co]; then c10 weight [ci][classes];
  * BN state per block: running_mean[co], running_var[co];
  * SGD(lr, momentum, weight_decay=l2, nesterov) with l1 * sign(w) added to the gradient;
  * input x = float32(byte) * scale[c] + shift[c], scale = 1 / (255 * std), shift = -mean / std,
    all in float32 (core/data/augment.c).

Every hyper-parameter the C side stores as a float is rounded to float32 here first, so both
sides use the same constants.

File format (little-endian): magic b"NLGOLD01", then records until EOF, each
    char name[24] (NUL padded) | char type[4] ("f32", "f64", "i32", "u8", NUL padded) |
    uint32 count | count elements of the type.

common.bin   images u8[n*3072] (CIFAR planar CHW), labels u8[n], input_table f32[3*256]
             (input_table[c*256 + v] = normalised value of byte v in channel c: the network
             input is fully determined by it), params0 f32[P] (initial parameters, shared by
             all variants: the layout does not depend on the norm kind).
bn.bin, gn.bin, ln.bin, and the levers bn_ws.bin, gn_rn_ws.bin, ln_rn.bin
             model description (norm, groups, group_size, width, pad, skips, in_channels, in_hw,
             classes, bn_momentum, norm_eps, dropout; order and weight_std only in the lever
             files: 0 when absent), optimiser settings (lr, momentum,
             nesterov, l1, l2, label_smoothing, batch), and results:
             logits_train f32[n*10] (train mode, params0), loss f64[1] (its mean loss),
             grads f32[P] (of that loss, no L1/L2), train_loss f64[2] (loss of each of the two
             SGD steps), params_after f32[P], bn_state_after f32[...] (BN only),
             bn_batches i32[1] (num_batches_tracked; 0 for GN/LN), logits_eval f32[n*10]
             (eval mode after the two steps).
onecycle.bin for each setting k = 0..: oc<k>_cfg f64[8] = total_steps, max_lr, pct_start,
             div_factor, final_div_factor, cycle_momentum, base_momentum, max_momentum
             (momentum, when not cycled, is base_momentum); oc<k>_lr f64[total],
             oc<k>_mom f64[total]: learning rate and momentum used at step 0..total-1.
"""
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")

# ---- the fixed S8 layout (core/nn/nl_model.h) ----
L_C1, L_C2, L_c3, L_P1, L_C3, L_C4, L_C5, L_c6, L_P2, L_C7, L_C8, L_C9, L_GAP, L_c10 = range(14)
BLOCK_LAYER = [L_C1, L_C2, L_c3, L_C3, L_C4, L_C5, L_c6, L_C7, L_C8, L_C9]
KERNEL = [3, 3, 1, 3, 3, 3, 1, 3, 3, 3]
NORM_ID = {"bn": 0, "gn": 1, "ln": 2}

N_IMAGES = 10  # two chunks of NL_CHUNK = 8 images, the second partial


def f32(v):
    """The float32 value the C side stores, as a Python float."""
    return float(np.float32(v))


# A small model: 32x32 input (the trainer always feeds 32x32 CIFAR images), mixed widths
# (ci != co in most convs), mixed pads, an odd size into P2 (15 -> 7, floor) and two skips.
# Shapes: C1 32, C2 30, c3 30, P1 15, C3..c6 15, P2 7, C7 5, C8 5, C9 5.
BASE_DESC = dict(
    width=[8, 12, 4, 8, 12, 4, 4, 8, 12, 8],
    pad=[1, 0, 0, 1, 1, 1, 0, 0, 1, 1],
    skips=[(L_P1, L_c6), (L_C7, L_C9)],
    in_channels=3,
    in_hw=32,
    classes=10,
    bn_momentum=f32(0.1),
    norm_eps=f32(1e-5),
    dropout=0.0,
    groups=0,
    group_size=4,
)

VARIANTS = {
    # norm, nesterov, l1: each optimiser option is on in one variant
    "bn": dict(norm="bn", nesterov=1, l1=0.0),
    "gn": dict(norm="gn", nesterov=0, l1=f32(1e-4)),
    "ln": dict(norm="ln", nesterov=0, l1=0.0),
    # the model levers of issue 15: order 1 = relu_norm, weight standardisation
    "bn_ws": dict(norm="bn", nesterov=0, l1=0.0, order=0, weight_std=1),
    "gn_rn_ws": dict(norm="gn", nesterov=1, l1=0.0, order=1, weight_std=1),
    "ln_rn": dict(norm="ln", nesterov=0, l1=f32(1e-4), order=1, weight_std=0),
}
WS_EPS = 1e-5  # NL_WS_EPS
OPT = dict(lr=f32(0.05), momentum=f32(0.9), l2=f32(5e-4), label_smoothing=f32(0.1))


def groups_of(desc, norm, b):
    """nl_model_desc_groups()."""
    c = desc["width"][b]
    if norm == "bn":
        return 0
    if norm == "ln":
        return 1
    if desc["groups"] > 0:
        return desc["groups"]
    gs = desc["group_size"]
    if gs > 0 and c % gs == 0:
        return c // gs
    if c % 4 == 0:
        return c // 4
    return 1


def standardise(w):
    """Weight standardisation written out (per output channel over ci, kh, kw; biased var)."""
    m = w.mean(dim=(1, 2, 3), keepdim=True)
    v = ((w - m) ** 2).mean(dim=(1, 2, 3), keepdim=True)
    return (w - m) / torch.sqrt(v + WS_EPS)


class S8(nn.Module):
    def __init__(self, desc, norm, order=0, weight_std=0):
        super().__init__()
        self.desc, self.norm, self.order, self.weight_std = desc, norm, order, weight_std
        self.convs, self.norms = nn.ModuleList(), nn.ModuleList()
        ci = desc["in_channels"]
        for b in range(10):
            co, k = desc["width"][b], KERNEL[b]
            self.convs.append(nn.Conv2d(ci, co, k, padding=desc["pad"][b], bias=False))
            if norm == "bn":
                self.norms.append(nn.BatchNorm2d(co, eps=desc["norm_eps"], momentum=desc["bn_momentum"]))
            else:
                self.norms.append(nn.GroupNorm(groups_of(desc, norm, b), co, eps=desc["norm_eps"]))
            ci = co
        self.fc = nn.Conv2d(ci, desc["classes"], 1, bias=False)

    def forward(self, x):
        outs, h = [], x
        for l in range(14):
            if l in BLOCK_LAYER:
                b = BLOCK_LAYER.index(l)
                conv = self.convs[b]
                h = F.conv2d(h, standardise(conv.weight), None, 1, conv.padding) if self.weight_std else conv(h)
                h = self.norms[b](F.relu(h)) if self.order == 1 else F.relu(self.norms[b](h))
                for (src, dst) in self.desc["skips"]:
                    if dst == l:
                        h = h + outs[src]
            elif l in (L_P1, L_P2):
                h = F.max_pool2d(h, 2)
            elif l == L_GAP:
                h = h.mean(dim=(2, 3), keepdim=True)
            else:
                h = self.fc(h).flatten(1)
            outs.append(h)
        return h

    # ---- the C core's flat layouts ----
    def flat_tensors(self, grad=False):
        out = []
        for b in range(10):
            c, n = self.convs[b], self.norms[b]
            out += [(c.weight, True), (n.weight, False), (n.bias, False)]
        out.append((self.fc.weight, True))
        res = []
        for t, is_conv in out:
            v = t.grad if grad else t
            v = v.detach()
            res.append(v.permute(2, 3, 1, 0).reshape(-1) if is_conv else v.reshape(-1))
        return torch.cat(res).numpy().astype(np.float32)

    def load_flat(self, flat):
        flat = torch.from_numpy(np.asarray(flat, dtype=np.float32))
        off = 0
        with torch.no_grad():
            tensors = []
            for b in range(10):
                tensors += [(self.convs[b].weight, True), (self.norms[b].weight, False), (self.norms[b].bias, False)]
            tensors.append((self.fc.weight, True))
            for t, is_conv in tensors:
                n = t.numel()
                v = flat[off:off + n]
                off += n
                if is_conv:
                    co, ci, kh, kw = t.shape
                    t.copy_(v.reshape(kh, kw, ci, co).permute(3, 2, 0, 1))
                else:
                    t.copy_(v)
        assert off == flat.numel()

    def bn_state(self):
        if self.norm != "bn":
            return np.zeros(0, np.float32)
        parts = []
        for n in self.norms:
            parts += [n.running_mean.detach().reshape(-1), n.running_var.detach().reshape(-1)]
        return torch.cat(parts).numpy().astype(np.float32)


# ---- data ----
CIFAR_MEAN = np.array([0.4914, 0.4822, 0.4465], np.float32)
CIFAR_STD = np.array([0.2470, 0.2435, 0.2616], np.float32)


def input_table():
    """table[c][v] exactly as core/data/augment.c computes it (float32, no FMA)."""
    t = np.zeros((3, 256), np.float32)
    v = np.arange(256).astype(np.float32)
    for c in range(3):
        scale = np.float32(1.0) / (np.float32(255.0) * CIFAR_STD[c])
        shift = -CIFAR_MEAN[c] / CIFAR_STD[c]
        t[c] = (v * scale).astype(np.float32) + shift
    return t


def make_data(rng):
    images = rng.integers(0, 256, size=(N_IMAGES, 3, 32, 32), dtype=np.uint8)
    labels = rng.integers(0, 10, size=N_IMAGES, dtype=np.uint8)
    return images, labels


def to_input(images, table):
    x = np.empty(images.shape, np.float32)
    for c in range(3):
        x[:, c] = table[c][images[:, c]]
    return torch.from_numpy(x)


# ---- fixture I/O ----
TYPES = {"f32": "<f4", "f64": "<f8", "i32": "<i4", "u8": "u1"}
MAGIC = b"NLGOLD01"


def record(name, arr, typ):
    a = np.ascontiguousarray(np.asarray(arr).reshape(-1).astype(TYPES[typ]))
    assert len(name) < 24
    return name.encode().ljust(24, b"\0") + typ.encode().ljust(4, b"\0") + struct.pack("<I", a.size) + a.tobytes()


def write(path, recs):
    with open(path, "wb") as f:
        f.write(MAGIC + b"".join(recs))
    print("wrote %s (%d bytes)" % (os.path.relpath(path), os.path.getsize(path)))


def read(path):
    with open(path, "rb") as f:
        buf = f.read()
    assert buf[:8] == MAGIC, "not a golden fixture"
    off, out = 8, {}
    while off < len(buf):
        name = buf[off:off + 24].rstrip(b"\0").decode()
        typ = buf[off + 24:off + 28].rstrip(b"\0").decode()
        (count,) = struct.unpack("<I", buf[off + 28:off + 32])
        off += 32
        dt = np.dtype(TYPES[typ])
        out[name] = np.frombuffer(buf, dt, count, off)
        off += count * dt.itemsize
    return out


def desc_records(desc, norm):
    sk = [v for s in desc["skips"] for v in s]
    return [
        record("norm", [NORM_ID[norm]], "i32"),
        record("groups", [desc["groups"]], "i32"),
        record("group_size", [desc["group_size"]], "i32"),
        record("width", desc["width"], "i32"),
        record("pad", desc["pad"], "i32"),
        record("skips", sk, "i32"),
        record("in_channels", [desc["in_channels"]], "i32"),
        record("in_hw", [desc["in_hw"]], "i32"),
        record("classes", [desc["classes"]], "i32"),
        record("bn_momentum", [desc["bn_momentum"]], "f32"),
        record("norm_eps", [desc["norm_eps"]], "f32"),
        record("dropout", [desc["dropout"]], "f32"),
    ]


def rel_report(name, a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    scale = max(np.abs(b).max(), 1e-30)
    print("    %-14s max|diff| %.3g  (/max|ref| %.3g)" % (name, np.abs(a - b).max(), np.abs(a - b).max() / scale))


def run_variant(name, v, params0, x, y, dtype=torch.float32):
    """Returns the fixture's results for one variant, computed in dtype."""
    desc = BASE_DESC
    model = S8(desc, v["norm"], v.get("order", 0), v.get("weight_std", 0))
    model.load_flat(params0)
    model = model.to(dtype)
    xx = x.to(dtype)
    yy = torch.from_numpy(y.astype(np.int64))
    ls = OPT["label_smoothing"]
    opt = torch.optim.SGD(model.parameters(), lr=OPT["lr"], momentum=OPT["momentum"], weight_decay=OPT["l2"],
                          nesterov=bool(v["nesterov"]))
    res = {}
    losses = []
    model.train()
    for step in range(2):
        opt.zero_grad()
        logits = model(xx)
        loss = F.cross_entropy(logits, yy, label_smoothing=ls)
        loss.backward()
        if step == 0:
            res["logits_train"] = logits.detach().float().numpy()
            res["loss"] = float(loss)
            res["grads"] = torch.cat([t.grad.detach().reshape(-1) if t.dim() == 1 else
                                      t.grad.detach().permute(2, 3, 1, 0).reshape(-1)
                                      for t in _flat_params(model)]).numpy()
        losses.append(float(loss))
        if v["l1"]:
            with torch.no_grad():
                for p in model.parameters():
                    p.grad.add_(v["l1"] * torch.sign(p))
        opt.step()
    res["train_loss"] = losses
    res["params_after"] = torch.cat([t.detach().reshape(-1) if t.dim() == 1 else
                                     t.detach().permute(2, 3, 1, 0).reshape(-1) for t in _flat_params(model)]).numpy()
    res["bn_state_after"] = np.concatenate(
        [np.concatenate([n.running_mean.detach().numpy(), n.running_var.detach().numpy()]) for n in model.norms]
    ) if v["norm"] == "bn" else np.zeros(0)
    res["bn_batches"] = int(model.norms[0].num_batches_tracked) if v["norm"] == "bn" else 0
    model.eval()
    with torch.no_grad():
        res["logits_eval"] = model(xx).numpy()
    return res


def _flat_params(model):
    """The parameters in the C layout's order (conv weights still OIHW)."""
    out = []
    for b in range(10):
        out += [model.convs[b].weight, model.norms[b].weight, model.norms[b].bias]
    out.append(model.fc.weight)
    return out


def onecycle(total, max_lr, pct_start, div_factor, final_div_factor, cycle_momentum, base_m, max_m):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=max_lr, momentum=base_m)
    sch = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=max_lr, total_steps=total, pct_start=pct_start, anneal_strategy="cos",
        cycle_momentum=bool(cycle_momentum), base_momentum=base_m, max_momentum=max_m,
        div_factor=div_factor, final_div_factor=final_div_factor, three_phase=False)
    lrs, moms = [], []
    for _ in range(total):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
        opt.step()
        if len(lrs) < total:
            sch.step()
    return lrs, moms


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--dump":
        for k, a in read(sys.argv[2]).items():
            body = " ".join("%.9g" % v for v in a[:8]) + (" ..." if a.size > 8 else "")
            print("%-16s %-4s %6d  %s" % (k, a.dtype, a.size, body))
        return
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240611)
    images, labels = make_data(rng)
    table = input_table()
    x = to_input(images, table)

    # initial parameters: PyTorch's default init (seeded), then non-trivial gamma / beta
    torch.manual_seed(1234)
    m0 = S8(BASE_DESC, "bn")
    with torch.no_grad():
        for n in m0.norms:
            n.weight.copy_(0.5 + torch.rand(n.weight.shape))
            n.bias.copy_(0.4 * (torch.rand(n.bias.shape) - 0.4))
    params0 = m0.flat_tensors()
    write(os.path.join(OUT, "common.bin"), [
        record("images", images, "u8"),
        record("labels", labels, "u8"),
        record("input_table", table, "f32"),
        record("params0", params0, "f32"),
    ])

    for name, v in VARIANTS.items():
        r = run_variant(name, v, params0, x, labels)
        levers = [record("order", [v["order"]], "i32"), record("weight_std", [v["weight_std"]], "i32")] \
            if "order" in v else []
        recs = desc_records(BASE_DESC, v["norm"]) + levers + [
            record("lr", [OPT["lr"]], "f32"),
            record("momentum", [OPT["momentum"]], "f32"),
            record("nesterov", [v["nesterov"]], "i32"),
            record("l1", [v["l1"]], "f32"),
            record("l2", [OPT["l2"]], "f32"),
            record("label_smoothing", [OPT["label_smoothing"]], "f32"),
            record("batch", [N_IMAGES], "i32"),
            record("logits_train", r["logits_train"], "f32"),
            record("loss", [r["loss"]], "f64"),
            record("grads", r["grads"], "f32"),
            record("train_loss", r["train_loss"], "f64"),
            record("params_after", r["params_after"], "f32"),
            record("bn_state_after", r["bn_state_after"], "f32"),
            record("bn_batches", [r["bn_batches"]], "i32"),
            record("logits_eval", r["logits_eval"], "f32"),
        ]
        write(os.path.join(OUT, name + ".bin"), recs)
        # PyTorch's own float32 rounding, against a float64 run: a floor for the C tolerances
        r64 = run_variant(name, v, params0, x, labels, torch.float64)
        print("  %s: PyTorch float32 vs float64" % name)
        rel_report("logits_train", r["logits_train"], r64["logits_train"])
        rel_report("loss", [r["loss"]], [r64["loss"]])
        rel_report("grads", r["grads"], r64["grads"])
        rel_report("params_after", r["params_after"] - params0, r64["params_after"] - params0)
        if v["norm"] == "bn":
            rel_report("bn_state", r["bn_state_after"], r64["bn_state_after"])
        rel_report("logits_eval", r["logits_eval"], r64["logits_eval"])

    settings = [
        (100, f32(0.1), f32(0.25), 25.0, 1e4, 1, f32(0.85), f32(0.95)),
        (37, f32(0.1), f32(0.3), 25.0, 1e4, 1, f32(0.85), f32(0.95)),
        (37, f32(0.1), f32(0.3), 25.0, 1e4, 0, f32(0.9), f32(0.95)),
        (7, f32(0.4), f32(0.5), f32(10.0), f32(100.0), 1, f32(0.8), f32(0.9)),
    ]
    recs = []
    for k, s in enumerate(settings):
        lrs, moms = onecycle(*s)
        recs += [record("oc%d_cfg" % k, s, "f64"), record("oc%d_lr" % k, lrs, "f64"), record("oc%d_mom" % k, moms, "f64")]
    write(os.path.join(OUT, "onecycle.bin"), recs)


if __name__ == "__main__":
    main()
