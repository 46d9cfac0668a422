#!/usr/bin/python3
"""tools/pytorch/train.py against `normlab train` (run by CTest as test_pytorch_train; needs
Debian's /usr/bin/python3 with torch 1.13), on small synthetic CIFAR-format data:

  (a) the training settings table of run_config.py equals the core's (`normlab config --schema`);
  (b) agreement: the same configuration and seed, one epoch, augmentation off (and once on), in
      both (train.py in this process): train.py starts from the core's initial weights and draws
      the core's data order and augmentation, so the per-epoch metrics and the weights must agree within AGREE (they are
      not bit-identical: different kernels and summation orders) for bn, gn and ln, with the
      OneCycle and step schedules and with or without norm decay; the metrics files have the
      same fields in the same order, val_loss/val_acc included with --val;
  (c) DDP: `python3 -m torch.distributed.run --standalone --nproc_per_node 2 train.py` (gloo on
      CPU, through tools/pytorch/torchrun.py), with GN and augmentation: the run finishes,
      `normlab import` loads its weights, `normlab eval` of them gives the test accuracy train.py
      wrote, and (GN has no batch statistics) the 2-process run equals the 1-process run within
      AGREE;
  (d) bad input (missing files, bad JSON, unknown fields, out-of-range settings, a world size
      that does not divide the batch, no CUDA): a one-line message, a non-zero exit status and
      no traceback.

    /usr/bin/python3 tests/interop/test_pytorch_train.py --normlab build/normlab [--keep]

Exit status 0 = pass, 1 = fail, 77 = skipped (torch not importable).
"""
import argparse
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TOOLS = os.path.join(ROOT, "tools", "pytorch")
TRAIN_PY = os.path.join(TOOLS, "train.py")
sys.path.insert(0, TOOLS)

try:
    import numpy as np
    import torch
except ImportError as e:
    print("SKIP: PyTorch is not available to %s (%s); run with Debian's /usr/bin/python3" % (sys.executable, e))
    sys.exit(SKIP)

import safetensors_io  # noqa: E402
import train as train_py  # noqa: E402
from run_config import TRAIN_FIELDS  # noqa: E402

# Largest differences allowed between the core and train.py after one epoch of 10 steps. BN at a
# high learning rate is chaotic (its ReLUs flip on rounding differences: a 1e-7 change of the
# initial weights alone moves BN's train loss by ~1e-2 at max_lr 0.1), so the BN case runs at
# max_lr 0.02, where that sensitivity is ~7e-4; measured differences are printed at the end and
# stated in tools/pytorch/README.md.
AGREE = {"loss": 2e-3, "acc": 0.01, "weights": 1e-2}
N_TRAIN, N_TEST = 64, 100  # per train batch file (5 files), test images
failures = []


def check(cond, what):
    print("  %s %s" % ("ok  " if cond else "FAIL", what))
    if not cond:
        failures.append(what)
    return cond


def write_data(root):
    """Class-dependent colour stripes plus noise (learnable in a few steps), as the six batch
    files in cifar-10-batches-bin/ and as the official .tar.gz layout."""
    rng = np.random.default_rng(14)
    colours = rng.integers(30, 226, (10, 3))
    folder = os.path.join(root, "cifar-10-batches-bin")
    os.makedirs(folder)
    names = ["data_batch_%d.bin" % i for i in range(1, 6)] + ["test_batch.bin"]
    for name in names:
        n = N_TEST if name == "test_batch.bin" else N_TRAIN
        labels = rng.integers(0, 10, n).astype(np.uint8)
        img = rng.normal(0, 40, (n, 3, 32, 32))
        stripe = (np.arange(32) // 4 % 2)[None, None, :, None] * 40.0
        img += colours[labels][:, :, None, None] + stripe * (labels % 3 - 1)[:, None, None, None]
        img = np.clip(img, 0, 255).astype(np.uint8).reshape(n, -1)
        with open(os.path.join(folder, name), "wb") as f:
            f.write(np.hstack([labels[:, None], img]).tobytes())
    with open(os.path.join(folder, "batches.meta.txt"), "w") as f:
        f.write("airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n")
    tgz = os.path.join(root, "cifar-10-binary.tar.gz")
    with tarfile.open(tgz, "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-bin")
    return tgz


def run(cmd, env=None):
    p = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, env=env)
    return p.returncode, p.stdout, p.stderr


def ok(cmd, env=None):
    rc, out, err = run(cmd, env)
    if rc != 0:
        raise AssertionError("%s failed (%d): %s" % (" ".join(map(str, cmd)), rc, err.strip()[-2000:]))
    return out + err


def read_metrics(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def read_pairs(path):
    """The field names of each line, in file order."""
    with open(path) as f:
        return [list(json.loads(line, object_pairs_hook=lambda kv: [k for k, _ in kv])) for line in f if line.strip()]


def weights_rel_diff(a_path, b_path):
    """(||a - b|| / ||a|| over all float tensors, the tensor with the largest such ratio)."""
    a, _ = safetensors_io.load_file(a_path)
    b, _ = safetensors_io.load_file(b_path)
    if list(a) != list(b):
        return float("inf"), "names differ"
    num = den = 0.0
    worst = (0.0, "")
    for k in a:
        if a[k].dtype == torch.float32:
            d2, n2 = float((a[k] - b[k]).double().pow(2).sum()), float(a[k].double().pow(2).sum())
            num, den = num + d2, den + n2
            worst = max(worst, ((d2 / max(n2, 1e-30)) ** 0.5, k))
    return (num / max(den, 1e-30)) ** 0.5, worst[1]


def compare_runs(what, ma, mb, wa=None, wb=None):
    """Per-epoch metrics (and weights) of two runs within AGREE; returns the differences."""
    same_len = check(len(ma) == len(mb), "%s: %d and %d epochs" % (what, len(ma), len(mb)))
    if not same_len:
        return {}
    diff = {}
    for key, tol in (("train_loss", "loss"), ("test_loss", "loss"), ("val_loss", "loss"),
                     ("train_acc", "acc"), ("test_acc", "acc"), ("val_acc", "acc")):
        if key in ma[0]:
            diff[key] = max(abs(x[key] - y[key]) for x, y in zip(ma, mb))
            check(diff[key] <= AGREE[tol], "%s: |%s difference| %.2g <= %g" % (what, key, diff[key], AGREE[tol]))
    check(all(x["lr"] == y["lr"] for x, y in zip(ma, mb)), "%s: the same lr per epoch (%s)" % (what, ma[-1]["lr"]))
    if wa:
        d, name = weights_rel_diff(wa, wb)
        diff["weights"] = d
        check(d <= AGREE["weights"], "%s: |weights difference| / |weights| %.2g (most in %s) <= %g" %
              (what, d, name, AGREE["weights"]))
    return diff


def common_py(cfg, data, common):
    return ["--config", cfg, "--data", data, *[str(c) for c in common], "--threads", "1", "--quiet"]


def in_process(argv):
    """train.py's main() in this process (no second torch start-up); raises on failure."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rc = train_py.main(argv)
    if rc != 0:
        raise AssertionError("train.py %s failed (%d): %s" % (" ".join(argv), rc, err.getvalue().strip()))


def schema_matches(cli):
    print("(a) the training settings table equals the core's")
    schema = json.loads(ok([cli, "config", "--schema"]))
    core = {f["name"]: f for f in schema["fields"] if f["section"] == "train"}
    check(set(core) == set(TRAIN_FIELDS), "the same training fields (core: %d, run_config: %d)" % (len(core), len(TRAIN_FIELDS)))
    for name, f in core.items():
        spec = TRAIN_FIELDS.get(name)
        if spec is None:
            continue
        good = spec[0] == f["type"]
        if f["type"] in ("int", "float"):
            good = good and (spec[1], spec[2], spec[3], spec[4], spec[5]) == (f["default"], f["min"], f["max"], f["min_open"], f["max_open"])
        elif f["type"] == "enum":
            good = good and spec[1] == f["default"] and list(spec[2]) == f["options"]
        elif f["type"] == "seed":
            good = good and str(spec[1]) == f["default"]
        else:
            good = good and spec[1] == f["default"]
        check(good, "%s: type, default and range as in the core" % name)


def agreement(cli, tmp, data, results):
    print("(b) train.py and normlab train: same configuration and seed, one epoch")
    cases = [
        ("bn, no augmentation, max_lr 0.02", ["--norm", "bn", "--crop", "0", "--flip", "0", "--max-lr", "0.02"]),
        ("gn, no augmentation, val 40, data folder", ["--norm", "gn", "--crop", "0", "--flip", "0", "--val", "40"]),
        ("gn, crop+flip+cutout, smoothing, L1, nesterov", ["--norm", "gn", "--cutout", "8", "--label-smoothing", "0.1",
                                                           "--l1", "1e-4", "--nesterov"]),
        ("ln, reference preset, step schedule, no norm decay", ["--norm", "ln", "--preset", "reference", "--schedule",
                                                                "step", "--step-epochs", "1", "--no-norm-decay"]),
    ]
    # the plain network (conv -> norm -> ReLU, plain convs): the tolerances below were measured on it.
    # With the tuned defaults (ReLU -> norm + weight standardisation, issue 15) the two engines agree
    # to 1e-6 in loss after 2 steps (GN, no augmentation, max LR 0.02; every lever alone too), but
    # the net then learns much faster and float rounding grows with it: 0.002 in train loss after
    # 20 steps (plain: 1e-5), 0.005 / 0.04 after these cases' epoch (measured 2026-11-30).
    plain = ["--order", "norm_relu", "--no-weight-std"]
    for k, (what, opts) in enumerate(cases):
        opts = [*opts, *plain]
        tag = "".join(c for c in what if c.isalnum())[:12]
        # the .tar.gz, and once the folder holding cifar-10-batches-bin/ (both readers take both)
        src = os.path.dirname(data) if k == 1 else data
        cfg = os.path.join(tmp, "%s.json" % tag)
        with open(cfg, "w") as f:
            f.write(ok([cli, "config", *opts, "--batch", "32", "--seed", "4000000000"]))
        common = ["--epochs", "1", "--test-limit", N_TEST]
        t0 = time.time()
        ok([cli, "train", "--config", cfg, "--data", src, *common, "--threads", "1", "--metrics-out",
            os.path.join(tmp, tag + "_c.jsonl"), "--save", os.path.join(tmp, tag + ".ckpt"), "--quiet"])
        ok([cli, "export", "--load", os.path.join(tmp, tag + ".ckpt"), "--out", os.path.join(tmp, tag + "_c.safetensors")])
        t1 = time.time()
        in_process([*common_py(cfg, src, common), "--metrics-out", os.path.join(tmp, tag + "_p.jsonl"),
                    "--out", os.path.join(tmp, tag + "_p.safetensors")])
        t2 = time.time()
        mc, mp = read_metrics(os.path.join(tmp, tag + "_c.jsonl")), read_metrics(os.path.join(tmp, tag + "_p.jsonl"))
        check(read_pairs(os.path.join(tmp, tag + "_c.jsonl")) == read_pairs(os.path.join(tmp, tag + "_p.jsonl")),
              "%s: the metrics lines have the CLI's fields in its order (%s)" % (what, ", ".join(mp[0]) if mp else "none"))
        d = compare_runs(what, mc, mp, os.path.join(tmp, tag + "_c.safetensors"), os.path.join(tmp, tag + "_p.safetensors"))
        results.append((what, mc[0], mp[0], d, t1 - t0, t2 - t1))


def ddp(cli, tmp, data):
    print("(c) two processes (DDP, gloo on CPU)")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    # tools/pytorch/torchrun.py = python3 -m torch.distributed.run with the fix it needs on
    # Debian 12 (see torchrun.py). GN: no batch statistics, so 2 processes must compute what 1
    # does (the batch split, the positions' augmentation and the gradient averaging are right).
    launcher = [sys.executable, os.path.join(TOOLS, "torchrun.py")]
    for norm in ("gn",):
        cfg = os.path.join(tmp, "ddp_%s.json" % norm)
        with open(cfg, "w") as f:
            f.write(ok([cli, "config", "--norm", norm, "--batch", "32"]))
        m, w = os.path.join(tmp, "ddp_%s.jsonl" % norm), os.path.join(tmp, "ddp_%s.safetensors" % norm)
        common = ["--epochs", "2", "--train-limit", "128", "--test-limit", "64"]
        out = ok([*launcher, "--standalone", "--nproc_per_node", "2", TRAIN_PY, "--config", cfg, "--data", data,
                  *common, "--metrics-out", m, "--out", w], env)
        check("2 processes on cpu" in out, "%s: the run says it uses 2 processes" % norm)
        metrics = read_metrics(m)
        check([x["epoch"] for x in metrics] == [1, 2], "%s: 2 epochs in the metrics, written once (rank 0)" % norm)
        ck = os.path.join(tmp, "ddp_%s.ckpt" % norm)
        ok([cli, "import", "--in", w, "--save", ck])
        ev = ok([cli, "eval", "--load", ck, "--data", data, "--test-limit", "64"])
        acc = metrics[-1]["test_acc"]
        check(("%.2f%%" % (100 * acc)) in ev, "%s: normlab eval of the imported weights gives train.py's test accuracy "
              "%.2f%% (%s)" % (norm, 100 * acc, ev.strip().splitlines()[-1] if ev.strip() else ""))
        if norm == "gn":  # no batch statistics: 2 processes compute what 1 does
            m1, w1 = os.path.join(tmp, "one_gn.jsonl"), os.path.join(tmp, "one_gn.safetensors")
            in_process(["--config", cfg, "--data", data, *common, "--quiet", "--metrics-out", m1, "--out", w1])
            compare_runs("gn: 2 processes vs 1", read_metrics(m1), metrics, w1, w)


def bad_input(tmp, data):
    print("(d) bad input: one line, non-zero status, no traceback")
    good = os.path.join(tmp, "good.json")
    with open(good, "w") as f:
        json.dump({"format": "normlab-config", "version": 1, "norm": "bn", "batch": 32}, f)

    def cfg(text, name):
        p = os.path.join(tmp, name)
        with open(p, "w") as f:
            f.write(text)
        return p

    cases = [
        ("missing config", ["--config", os.path.join(tmp, "nope.json"), "--data", data], "no such file"),
        ("not JSON", ["--config", cfg("{nope", "bad1.json"), "--data", data], "not valid JSON"),
        ("unknown field", ["--config", cfg('{"format": "normlab-config", "version": 1, "lr": 1}', "bad2.json"),
                           "--data", data], "unknown field 'lr'"),
        ("setting out of range", ["--config", good, "--data", data, "--max-lr", "11"], "max_lr must be in (0, 10]"),
        ("bad model", ["--config", cfg('{"format": "normlab-config", "version": 1, "norm": "xn"}', "bad3.json"),
                       "--data", data], "unknown norm"),
        ("missing data", ["--config", good, "--data", os.path.join(tmp, "none.tar.gz")], "no such file"),
        ("not CIFAR data", ["--config", good, "--data", good], "not a gzip/tar file"),
        ("bad limit", ["--config", good, "--data", data, "--train-limit", "0"], "--train-limit must be in 1..60000"),
        ("no output folder", ["--config", good, "--data", data, "--out", os.path.join(tmp, "no", "w.safetensors")],
         "does not exist"),
        ("unknown option", ["--config", good, "--data", data, "--lr", "1"], "unrecognized arguments"),
    ]
    if not torch.cuda.is_available():
        cases.append(("no CUDA", ["--config", good, "--data", data, "--device", "cuda"], "no CUDA device"))
    for what, argv, expect in cases:
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = train_py.main(argv + ["--quiet"])
        msg = err.getvalue().strip()
        check(rc != 0 and expect in msg and len(msg.splitlines()) == 1 and "Traceback" not in msg,
              "%s: status %d, %r" % (what, rc, msg))
    # a world size that does not divide the batch, as torch.distributed.run would set it (the
    # check comes before any process group is made); and one whole process, for the exit path
    env = dict(os.environ, WORLD_SIZE="3", RANK="0", LOCAL_RANK="0")
    rc, out, err = run([sys.executable, TRAIN_PY, "--config", good, "--data", data], env)
    check(rc == 2 and "must be a multiple of 3" in err and "Traceback" not in err,
          "world size 3, batch 32: status %d, %r" % (rc, err.strip()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--normlab", required=True)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    cli = os.path.abspath(args.normlab)
    tmp = tempfile.mkdtemp(prefix="nl_pytrain_")
    results = []
    t0 = time.time()
    try:
        data = write_data(tmp)
        for part in (lambda: schema_matches(cli), lambda: agreement(cli, tmp, data, results), lambda: ddp(cli, tmp, data),
                     lambda: bad_input(tmp, data)):
            t = time.time()
            part()
            print("  (%.1fs)" % (time.time() - t))
    except AssertionError as e:
        check(False, str(e))
    finally:
        if args.keep:
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("\nagreement, one epoch of %d steps (core | train.py):" % (5 * N_TRAIN // 32))
    for what, mc, mp, d, tc, tp in results:
        print("  %-58s train loss %.4f | %.4f  acc %.4f | %.4f  test acc %.3f | %.3f  weights %.2g  (%.1fs | %.1fs)" %
              (what, mc["train_loss"], mp["train_loss"], mc["train_acc"], mp["train_acc"], mc["test_acc"], mp["test_acc"],
               d.get("weights", float("nan")), tc, tp))
    print("%s: %d failure(s) in %.1fs" % ("FAIL" if failures else "PASS", len(failures), time.time() - t0))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
