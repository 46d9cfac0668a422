"""PyTorch side of tests/node/safetensors.test.mjs (run with /usr/bin/python3).

make NORM DIR: a reference module (tools/pytorch/normlab_model.py, default description for
    NORM) with seeded random weights and BatchNorm statistics -> DIR/model.safetensors, 16
    random CIFAR-format images -> DIR/images.bin, their eval-mode logits -> DIR/logits.f32.
logits WEIGHTS IMAGES OUT: loads WEIGHTS strictly and writes the logits of IMAGES to OUT."""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "pytorch"))
from normlab_model import NormlabNet, load_normlab, normalise, save_normlab  # noqa: E402


def logits_of(model, images_path):
    raw = open(images_path, "rb").read()
    images = torch.frombuffer(bytearray(raw), dtype=torch.uint8).reshape(-1, 3, 32, 32)
    with torch.no_grad():
        return model(normalise(images)).contiguous()


def make(norm, out_dir):
    torch.manual_seed({"bn": 1, "gn": 2, "ln": 3}[norm])
    model = NormlabNet(json.dumps({"format": "normlab-model", "version": 1, "norm": norm}))
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if name.endswith("norm.weight"):
                t.uniform_(0.5, 1.5)
            elif name.endswith("norm.bias") or name.endswith("running_mean"):
                t.uniform_(-0.2, 0.2)
            elif name.endswith("running_var"):
                t.uniform_(0.5, 2.0)
    model.eval()
    save_normlab(model, os.path.join(out_dir, "model.safetensors"))
    images = torch.randint(0, 256, (16, 3, 32, 32), dtype=torch.uint8)
    open(os.path.join(out_dir, "images.bin"), "wb").write(images.numpy().tobytes())
    open(os.path.join(out_dir, "logits.f32"), "wb").write(logits_of(model, os.path.join(out_dir, "images.bin")).numpy().tobytes())


def main():
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3])
    else:
        model = load_normlab(sys.argv[2])
        open(sys.argv[4], "wb").write(logits_of(model, sys.argv[3]).numpy().tobytes())


if __name__ == "__main__":
    main()
