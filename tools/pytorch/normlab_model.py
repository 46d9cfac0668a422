"""The normlab S8 network as a PyTorch nn.Module, built from the shared JSON model description
(core/serialize/nl_model_json.h). Its state_dict() names, shapes and dtypes are the contract of the
safetensors files that `normlab export` writes and `normlab import` reads:

    C1.conv.weight [co, ci, 3, 3]   C1.norm.weight [co]   C1.norm.bias [co]
    C1.norm.running_mean / running_var [co], C1.norm.num_batches_tracked []   (BatchNorm only)
    ... the same for C2 c3 C3 C4 C5 c6 C7 C8 C9 ...
    c10.weight [classes, ci, 1, 1]

Usage (run with a Python that has torch, e.g. Debian's /usr/bin/python3):

    from normlab_model import load_normlab
    model = load_normlab('weights.safetensors')        # description from the file's metadata
    logits = model(normalise(images_uint8))            # images [N, 3, 32, 32] as in CIFAR-10

The network: C1 C2 c3 P1 C3 C4 C5 c6 P2 C7 C8 C9 GAP c10. Each conv block is Conv2d (no bias)
-> BatchNorm2d / GroupNorm (LN = GroupNorm with one group) -> ReLU [-> Dropout] ("order":
"norm_relu", the default) or Conv2d -> ReLU -> norm [-> Dropout] ("relu_norm"), then
out[to] = block output + out[from] for each skip (in list order), exactly as core/nn/net.c.
"weight_std": the ten block convs (not c10) standardise their weight per output channel,
(W - mean) / sqrt(biased var + 1e-5) (StdConv2d below; the state dict holds the raw W).
"zero_init_skip": the norm weight of each skip's target block starts at 0 (needs relu_norm).
P1/P2 = MaxPool2d(2) (floor), GAP = AdaptiveAvgPool2d(1), c10 = Conv2d(ci, classes, 1, bias=False).
eps and BN momentum are rounded to float32 as the C core stores them.
"""
import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

LAYOUT = ["C1", "C2", "c3", "P1", "C3", "C4", "C5", "c6", "P2", "C7", "C8", "C9", "GAP", "c10"]
BLOCKS = ["C1", "C2", "c3", "C3", "C4", "C5", "c6", "C7", "C8", "C9"]
KERNEL = {b: (1 if b in ("c3", "c6") else 3) for b in BLOCKS}
NORMS = ("bn", "gn", "ln")
ORDERS = ("norm_relu", "relu_norm")
WS_EPS = 1e-5  # NL_WS_EPS (core/nn/nl_weight_std.h)

# nl_model_desc_default(norm) (core/nn/model_desc.c)
DEFAULTS = {
    "groups": 0,
    "group_size": 8,
    "widths": [16, 24, 16, 28, 28, 28, 24, 32, 32, 32],
    "pads": [1, 1, 0, 1, 1, 1, 0, 1, 1, 1],
    "skips": [["C3", "C5"], ["C7", "C9"]],
    "dropout": 0.0,
    "bn_momentum": 0.1,
    "eps": 1e-5,
    "order": "norm_relu",
    "weight_std": False,
    "zero_init_skip": False,
    "in_channels": 3,
    "in_hw": 32,
    "classes": 10,
}

# CIFAR-10 channel statistics (nl_cifar_mean / nl_cifar_std in core/data/augment.c)
CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2470, 0.2435, 0.2616)


class ModelJSONError(ValueError):
    pass


def f32(v):
    """The float32 value the C core stores, as a Python float."""
    return struct.unpack("<f", struct.pack("<f", float(v)))[0]


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def parse_desc(desc):
    """A full description dict from a JSON string, a dict or a path to a .json file (a model
    description, or a run configuration written by `normlab config`, whose model part is read);
    checks it as the C core does (nl_model_desc_from_json + nl_model_desc_validate)."""
    if isinstance(desc, (str, bytes)) and not str(desc).lstrip().startswith("{") and os.path.exists(desc):
        with open(desc, "r", encoding="utf-8") as f:
            desc = f.read()
    if isinstance(desc, (str, bytes)):
        try:
            desc = json.loads(desc)
        except ValueError as e:
            raise ModelJSONError("model JSON: %s" % e)
    if not isinstance(desc, dict):
        raise ModelJSONError("model JSON: the top level must be an object")
    if desc.get("format") == "normlab-config":
        # a run configuration (normlab config, checkpoints, the "normlab_config" metadata):
        # its model part; the training settings do not concern PyTorch
        if desc.get("preset", "default") != "default" and not all(k in desc for k in ("widths", "pads", "skips")):
            raise ModelJSONError("model JSON: a configuration with preset %r must give widths, pads and skips "
                                 "(normlab config writes them)" % desc.get("preset"))
        desc = {k: v for k, v in desc.items() if k in DEFAULTS or k in ("norm", "layout", "version")}
        desc["format"] = "normlab-model"
        desc.setdefault("norm", "bn")
    if desc.get("format") != "normlab-model":
        raise ModelJSONError('model JSON: format must be "normlab-model" (or "normlab-config")')
    if desc.get("version") != 1:
        raise ModelJSONError("model JSON: version %r is not supported (this code reads version 1)" % desc.get("version"))
    if desc.get("norm") not in NORMS:
        raise ModelJSONError("model JSON: unknown norm %r (use bn, gn or ln)" % desc.get("norm"))
    known = set(DEFAULTS) | {"format", "version", "norm", "layout"}
    for k in desc:
        if k not in known:
            raise ModelJSONError("model JSON: unknown field '%s'" % k)
    if "layout" in desc and desc["layout"] != LAYOUT:
        raise ModelJSONError("model JSON: layout must be %s (the only layout supported)" % LAYOUT)
    d = json.loads(json.dumps(DEFAULTS))
    d.update({k: v for k, v in desc.items() if k in DEFAULTS})
    d["format"], d["version"], d["norm"], d["layout"] = "normlab-model", 1, desc["norm"], list(LAYOUT)
    for k in ("groups", "group_size", "in_channels", "in_hw", "classes"):
        if not _is_int(d[k]):
            raise ModelJSONError("model JSON: %s must be an integer" % k)
    for k in ("widths", "pads"):
        if not isinstance(d[k], list) or len(d[k]) != 10 or not all(_is_int(v) for v in d[k]):
            raise ModelJSONError("model JSON: %s must have 10 integers" % k)
    for k in ("dropout", "bn_momentum", "eps"):
        if not isinstance(d[k], (int, float)) or isinstance(d[k], bool):
            raise ModelJSONError("model JSON: %s must be a number" % k)
    if d["order"] not in ORDERS:
        raise ModelJSONError("model JSON: order must be norm_relu or relu_norm, got %r" % (d["order"],))
    for k in ("weight_std", "zero_init_skip"):
        if not isinstance(d[k], bool):
            raise ModelJSONError("model JSON: %s must be true or false" % k)
    if d["zero_init_skip"] and d["order"] != "relu_norm":
        raise ModelJSONError("model JSON: zero_init_skip needs order relu_norm")
    if (not isinstance(d["skips"], list) or len(d["skips"]) > 8 or
            not all(isinstance(s, list) and len(s) == 2 and all(x in LAYOUT for x in s) for s in d["skips"])):
        raise ModelJSONError('model JSON: skips must be a list of at most 8 ["FROM", "TO"] layer-name pairs')
    _check(d)
    return d


def groups_of(d, b):
    """nl_model_desc_groups(): GroupNorm groups of block index b (1 for LN, 0 for BN)."""
    c = d["widths"][b]
    if d["norm"] == "bn":
        return 0
    if d["norm"] == "ln":
        return 1
    if d["groups"] > 0:
        return d["groups"]
    gs = d["group_size"]
    if gs > 0 and c % gs == 0:
        return c // gs
    return c // 4 if c % 4 == 0 else 1


def layer_shapes(d):
    """Output (c, h, w) of every layer, by name."""
    c, h = d["in_channels"], d["in_hw"]
    w, out = h, {}
    for name in LAYOUT:
        if name in BLOCKS:
            b = BLOCKS.index(name)
            k, p = KERNEL[name], d["pads"][b]
            c, h, w = d["widths"][b], h + 2 * p - k + 1, w + 2 * p - k + 1
        elif name in ("P1", "P2"):
            h, w = h // 2, w // 2
        elif name == "GAP":
            h = w = 1
        else:
            c = d["classes"]
        if h < 1 or w < 1:
            raise ModelJSONError("model JSON: layer %s has no output pixels" % name)
        out[name] = (c, h, w)
    return out


def _check(d):
    if not 1 <= d["in_channels"] <= 4 or not 4 <= d["in_hw"] <= 256 or not 2 <= d["classes"] <= 10:
        raise ModelJSONError("model JSON: in_channels 1..4, in_hw 4..256 and classes 2..10 are supported")
    if not (0 <= d["dropout"] < 1 and 0 <= d["bn_momentum"] <= 1 and 0 < d["eps"] < 1):
        raise ModelJSONError("model JSON: dropout in [0, 1), bn_momentum in [0, 1], eps in (0, 1) please")
    for b, name in enumerate(BLOCKS):
        if not 1 <= d["widths"][b] <= 256:
            raise ModelJSONError("model JSON: width of %s must be 1..256" % name)
        if not 0 <= d["pads"][b] <= (1 if KERNEL[name] == 3 else 0):
            raise ModelJSONError("model JSON: bad padding for %s" % name)
        if d["norm"] == "gn":
            g = groups_of(d, b)
            if g < 1 or d["widths"][b] % g:
                raise ModelJSONError("model JSON: %d groups do not divide the %d channels of %s" % (g, d["widths"][b], name))
    shapes = layer_shapes(d)
    for src, dst in d["skips"]:
        if LAYOUT.index(src) >= LAYOUT.index(dst) or dst not in BLOCKS:
            raise ModelJSONError("model JSON: skip %s -> %s must go forward to a conv block" % (src, dst))
        if shapes[src] != shapes[dst]:
            raise ModelJSONError("model JSON: skip %s -> %s adds different shapes" % (src, dst))


class StdConv2d(nn.Conv2d):
    """Conv2d with weight standardisation (Qiao et al. 2019; timm's StdConv2d with eps 1e-5):
    per output channel, (W - mean) / sqrt(biased var + eps) over its fan-in. Same parameter
    (and state dict entry) as nn.Conv2d: the raw weight."""

    def standardised_weight(self):
        w = F.batch_norm(self.weight.reshape(1, self.out_channels, -1), None, None, training=True, momentum=0.0,
                         eps=WS_EPS)
        return w.reshape_as(self.weight)

    def forward(self, x):
        return F.conv2d(x, self.standardised_weight(), None, self.stride, self.padding, self.dilation, self.groups)


class Block(nn.Module):
    """conv (no bias) -> norm -> ReLU [-> dropout], or conv -> ReLU -> norm [-> dropout]."""

    def __init__(self, d, b, ci):
        super().__init__()
        co, k = d["widths"][b], KERNEL[BLOCKS[b]]
        conv = StdConv2d if d["weight_std"] else nn.Conv2d
        self.relu_first = d["order"] == "relu_norm"
        self.conv = conv(ci, co, k, padding=d["pads"][b], bias=False)
        if d["norm"] == "bn":
            self.norm = nn.BatchNorm2d(co, eps=f32(d["eps"]), momentum=f32(d["bn_momentum"]))
        else:
            self.norm = nn.GroupNorm(groups_of(d, b), co, eps=f32(d["eps"]))
        self.drop = nn.Dropout(f32(d["dropout"])) if d["dropout"] > 0 else nn.Identity()

    def forward(self, x):
        if self.relu_first:
            return self.drop(self.norm(F.relu(self.conv(x))))
        return self.drop(F.relu(self.norm(self.conv(x))))


class NormlabNet(nn.Module):
    def __init__(self, desc):
        super().__init__()
        self.desc = parse_desc(desc)
        d, ci = self.desc, self.desc["in_channels"]
        for name in LAYOUT:
            if name in BLOCKS:
                setattr(self, name, Block(d, BLOCKS.index(name), ci))
                ci = d["widths"][BLOCKS.index(name)]
            elif name in ("P1", "P2"):
                setattr(self, name, nn.MaxPool2d(2))
            elif name == "GAP":
                setattr(self, name, nn.AdaptiveAvgPool2d(1))
            else:
                setattr(self, name, nn.Conv2d(ci, d["classes"], 1, bias=False))
        self.skips = [tuple(s) for s in d["skips"]]
        if d["zero_init_skip"]:  # each skip branch starts as the identity (its last norm scales by 0)
            for _, dst in self.skips:
                nn.init.zeros_(getattr(self, dst).norm.weight)

    def forward(self, x):
        outs = {}
        for name in LAYOUT:
            x = getattr(self, name)(x)
            for src, dst in self.skips:
                if dst == name:
                    x = x + outs[src]
            outs[name] = x
        return torch.flatten(x, 1)

    def to_json(self):
        return json.dumps(self.desc, indent=2)


def input_table():
    """[3, 256] float32: the network input for each channel and byte value, computed exactly as
    core/data/augment.c does (x * scale + shift, scale = 1 / (255 * std), shift = -mean / std,
    every operation rounded to float32)."""
    v = torch.arange(256, dtype=torch.float32)
    rows = []
    for c in range(3):
        mean = torch.tensor(CIFAR_MEAN[c], dtype=torch.float32)
        std = torch.tensor(CIFAR_STD[c], dtype=torch.float32)
        scale = torch.tensor(1.0, dtype=torch.float32) / (torch.tensor(255.0, dtype=torch.float32) * std)
        shift = -mean / std
        rows.append(v * scale + shift)
    return torch.stack(rows)


def normalise(images):
    """uint8 images [N, 3, H, W] (CIFAR planar order) -> float32 network input."""
    images = torch.as_tensor(images)
    table = input_table()
    idx = images.long()
    return torch.stack([table[c][idx[:, c]] for c in range(images.shape[1])], dim=1)


def load_normlab(weights, desc=None, strict=True):
    """A NormlabNet in eval mode with the weights of a safetensors file (from `normlab export`).
    desc: a JSON string, dict or .json path; by default the file's "normlab_model" metadata."""
    tensors, metadata = safetensors_io.load_file(weights)
    if desc is None:
        if "normlab_model" not in metadata:
            raise ModelJSONError("%s has no normlab_model metadata: pass desc=MODEL.json" % weights)
        desc = metadata["normlab_model"]
    model = NormlabNet(desc)
    model.load_state_dict(tensors, strict=strict)
    return model.eval()


def save_normlab(model, path):
    """Writes model.state_dict() as safetensors with the description in the metadata, loadable
    by `normlab import --in path --save CKPT`."""
    sd = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    safetensors_io.save_file(sd, path, metadata={"format": "pt", "normlab_model": json.dumps(model.desc)})
