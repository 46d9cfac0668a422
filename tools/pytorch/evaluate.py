#!/usr/bin/python3
"""Evaluates exported normlab weights in PyTorch on the CIFAR-10 test set.

    /usr/bin/python3 tools/pytorch/evaluate.py [MODEL.json] WEIGHTS.safetensors --data PATH

PATH is cifar-10-binary.tar.gz as downloaded (read with tarfile, nothing is extracted) or the
extracted cifar-10-batches-bin/ folder (or its parent). Without MODEL.json the description
comes from the file's "normlab_model" metadata. The weights are loaded with
load_state_dict(strict=True); inputs are normalised exactly as the C core does.
Prints the test loss and accuracy (as `normlab eval` does for the same checkpoint).
"""
import argparse
import os
import sys
import tarfile

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from normlab_model import load_normlab, normalise  # noqa: E402

RECORD = 3073


def read_test_batch(path):
    """(labels uint8 [n], images uint8 [n, 3, 32, 32]) of test_batch.bin."""
    if os.path.isdir(path):
        for cand in (os.path.join(path, "test_batch.bin"), os.path.join(path, "cifar-10-batches-bin", "test_batch.bin")):
            if os.path.isfile(cand):
                with open(cand, "rb") as f:
                    raw = f.read()
                break
        else:
            raise SystemExit("evaluate: no test_batch.bin in %s or %s/cifar-10-batches-bin" % (path, path))
    else:
        try:
            with tarfile.open(path, "r:*") as tar:
                member = next((m for m in tar.getmembers()
                               if m.isfile() and m.name.endswith("cifar-10-batches-bin/test_batch.bin")), None)
                if member is None:
                    raise SystemExit("evaluate: %s has no cifar-10-batches-bin/test_batch.bin" % path)
                raw = tar.extractfile(member).read()
        except (tarfile.TarError, OSError) as e:
            raise SystemExit("evaluate: cannot read %s: %s" % (path, e))
    if len(raw) == 0 or len(raw) % RECORD:
        raise SystemExit("evaluate: test_batch.bin has %d bytes, not a multiple of %d" % (len(raw), RECORD))
    a = np.frombuffer(raw, np.uint8).reshape(-1, RECORD)
    labels = a[:, 0].copy()
    if labels.max() > 9:
        raise SystemExit("evaluate: label > 9 in test_batch.bin")
    return labels, a[:, 1:].reshape(-1, 3, 32, 32).copy()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", metavar="[MODEL.json] WEIGHTS.safetensors")
    ap.add_argument("--data", required=True, help="cifar-10-binary.tar.gz or cifar-10-batches-bin/")
    ap.add_argument("--limit", type=int, default=0, help="evaluate only the first N test images")
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()
    if len(args.files) > 2:
        ap.error("expected [MODEL.json] WEIGHTS.safetensors")
    desc, weights = (args.files[0], args.files[1]) if len(args.files) == 2 else (None, args.files[0])

    torch.set_grad_enabled(False)
    model = load_normlab(weights, desc)
    labels, images = read_test_batch(args.data)
    if args.limit > 0:
        labels, images = labels[:args.limit], images[:args.limit]
    n, correct, loss_sum = len(labels), 0, 0.0
    for i in range(0, n, args.batch):
        x = normalise(torch.from_numpy(images[i:i + args.batch]))
        y = torch.from_numpy(labels[i:i + args.batch]).long()
        logits = model(x)
        loss_sum += F.cross_entropy(logits.double(), y, reduction="sum").item()
        correct += (logits.argmax(1) == y).sum().item()
    print("test loss %.4f  accuracy %.2f%% (%d images, %s model)" %
          (loss_sum / n, 100.0 * correct / n, n, model.desc["norm"]))


if __name__ == "__main__":
    main()
