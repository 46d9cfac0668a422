#!/usr/bin/python3
"""normlab <-> PyTorch interchange, end to end through the CLI (run by CTest as
test_interop_torch; needs Debian's /usr/bin/python3 with torch 1.13):

  (a) C -> PyTorch: for bn, gn and ln, `normlab train` a model on small synthetic CIFAR-format
      data, `normlab export` it, load it into tools/pytorch/normlab_model.py with
      load_state_dict(strict=True) and compare eval-mode logits on the test images with
      `normlab predict`; tools/pytorch/evaluate.py and `normlab eval` agree on the accuracy.
  (b) PyTorch -> C: build the module in PyTorch with random weights (and random running
      statistics for BN), save safetensors (+ JSON), `normlab import`, compare logits; the
      imported checkpoint evaluates, resumes training and exports back bit-identically.
  (c) bad files: wrong names, shapes, dtypes, truncated header, header length beyond the file,
      non-JSON header: `normlab import` exits 1 with a clear one-line message and writes no
      checkpoint.

    /usr/bin/python3 tests/interop/test_interop.py --normlab build/normlab [--keep]

Exit status 0 = pass, 1 = fail, 77 = skipped (torch not importable).
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools", "pytorch"))

try:
    import numpy as np
    import torch
except ImportError as e:  # only a missing torch/numpy skips; everything else must work
    print("SKIP: PyTorch is not available to %s (%s); run with Debian's /usr/bin/python3" % (sys.executable, e))
    sys.exit(SKIP)

import safetensors_io  # noqa: E402
from normlab_model import ModelJSONError, NormlabNet, load_normlab, normalise, parse_desc, save_normlab  # noqa: E402

TOL = 1e-5  # max |C logit - PyTorch logit| allowed, relative to max(1, max |logit|)
N_TEST = 40
failures = []
results = []


def check(cond, what):
    if cond:
        print("  ok   %s" % what)
    else:
        print("  FAIL %s" % what)
        failures.append(what)
    return cond


class CLI:
    def __init__(self, exe):
        self.exe = exe

    def run(self, *args):
        p = subprocess.run([self.exe] + [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True)
        return p.returncode, p.stdout, p.stderr

    def ok(self, *args):
        rc, out, err = self.run(*args)
        if rc != 0:
            raise AssertionError("normlab %s failed (%d): %s" % (" ".join(map(str, args)), rc, err.strip()))
        return out


# ---- synthetic CIFAR-format data ----
def write_data(root):
    """cifar-10-batches-bin/ with 5 x 16 train records and N_TEST test records, plus the same
    as a .tar.gz (as downloaded)."""
    rng = np.random.default_rng(2024)
    folder = os.path.join(root, "cifar-10-batches-bin")
    os.makedirs(folder)
    files = [("data_batch_%d.bin" % i, 16) for i in range(1, 6)] + [("test_batch.bin", N_TEST)]
    for name, n in files:
        labels = rng.integers(0, 10, (n, 1), dtype=np.uint8)
        images = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        with open(os.path.join(folder, name), "wb") as f:
            f.write(np.hstack([labels, images]).tobytes())
    tgz = os.path.join(root, "cifar-10-binary.tar.gz")
    with tarfile.open(tgz, "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-bin")
    return root, tgz


def test_images(data_dir):
    raw = np.fromfile(os.path.join(data_dir, "cifar-10-batches-bin", "test_batch.bin"), np.uint8).reshape(-1, 3073)
    return torch.from_numpy(raw[:, 1:].reshape(-1, 3, 32, 32).copy()), raw[:, 0].copy()


def torch_logits(model, images):
    with torch.no_grad():
        return model.eval()(normalise(images)).numpy()


def c_logits(cli, ckpt, data_dir, path, classes=10):
    cli.ok("predict", "--load", ckpt, "--data", data_dir, "--test-limit", N_TEST, "--out", path)
    return np.fromfile(path, "<f4").reshape(-1, classes)


def compare(what, a, b):
    diff = float(np.abs(a - b).max())
    scale = max(1.0, float(np.abs(b).max()))
    results.append((what, diff, float(np.abs(b).max())))
    check(a.shape == b.shape and diff <= TOL * scale,
          "%s: max |C - torch| = %.3g (max |logit| %.3g, tolerance %.1g)" % (what, diff, float(np.abs(b).max()), TOL * scale))


# ---- (a) C -> PyTorch ----
C_MODELS = {
    "bn": ["--norm", "bn"],
    "gn": ["--norm", "gn", "--group-size", "4", "--dropout", "0.1"],
    "ln": ["--norm", "ln", "--preset", "reference"],
    # the model levers (issue 15)
    "gn_levers": ["--norm", "gn", "--order", "relu_norm", "--weight-std", "--zero-init-skip", "--dropout", "0.1"],
    "bn_levers": ["--norm", "bn", "--order", "relu_norm", "--weight-std"],
}


def c_to_torch(cli, tmp, data_dir, tgz):
    images, _ = test_images(data_dir)
    for norm, opts in C_MODELS.items():
        print("(a) C -> PyTorch, %s (%s)" % (norm, " ".join(opts)))
        ck = os.path.join(tmp, "a_%s.ckpt" % norm)
        st = os.path.join(tmp, "a_%s.safetensors" % norm)
        js = os.path.join(tmp, "a_%s.json" % norm)
        cli.ok("train", "--data", data_dir, *opts, "--epochs", 1, "--train-limit", 64, "--batch", 32, "--threads", 1,
               "--save", ck, "--quiet")
        cli.ok("export", "--load", ck, "--out", st, "--json", js)
        model = load_normlab(st)  # description from the metadata, strict=True
        model_js = NormlabNet(js)
        tensors, meta = safetensors_io.load_file(st)
        check(list(tensors) == list(model.state_dict()), "tensor names and order equal the state_dict")
        check(all(tensors[k].shape == v.shape and tensors[k].dtype == v.dtype for k, v in model.state_dict().items()),
              "shapes and dtypes equal the state_dict")
        check(meta.get("format") == "pt" and json.loads(meta["normlab_model"]) == json.load(open(js)),
              "metadata: format pt and the same description as --json")
        model_js.load_state_dict(tensors, strict=True)
        if norm == "bn":
            check(int(model.C1.norm.num_batches_tracked) == 2, "num_batches_tracked = 2 steps")
        c = c_logits(cli, ck, data_dir, os.path.join(tmp, "a_%s.logits" % norm))
        compare("C -> torch %s" % norm, c, torch_logits(model, images))
        check(np.array_equal(torch_logits(model_js, images), torch_logits(model, images)), "--json model = metadata model")
        # the whole configuration in the metadata: its model part is the same description
        check("normlab_config" in meta and parse_desc(meta["normlab_config"]) == parse_desc(meta["normlab_model"]),
              "metadata normlab_config: its model part = normlab_model")
        # accuracy on the tarball: evaluate.py (both ways of giving the description) vs normlab eval
        out = cli.ok("eval", "--load", ck, "--data", tgz)
        c_acc = out.split("accuracy", 1)[1].split("%")[0].strip()
        for args in ([st], [js, st]):
            p = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "pytorch", "evaluate.py")] + args +
                               ["--data", tgz], stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
            py_acc = p.stdout.split("accuracy", 1)[1].split("%")[0].strip() if p.returncode == 0 else "error: " + p.stderr
            check(py_acc == c_acc, "evaluate.py %s: accuracy %s%% = normlab eval %s%%" %
                  ("(metadata)" if len(args) == 1 else "MODEL.json", py_acc, c_acc))


# ---- (b) PyTorch -> C ----
T_MODELS = {
    "bn": {"format": "normlab-model", "version": 1, "norm": "bn"},
    "gn": {"format": "normlab-model", "version": 1, "norm": "gn", "groups": 4,
           "widths": [8, 16, 8, 16, 16, 16, 8, 16, 16, 16], "skips": [["P1", "c6"], ["C7", "C9"]], "eps": 1e-4},
    "ln": {"format": "normlab-model", "version": 1, "norm": "ln", "pads": [0, 0, 0, 1, 1, 1, 0, 1, 1, 1], "skips": [],
           "classes": 7},
    "ln_levers": {"format": "normlab-model", "version": 1, "norm": "ln", "order": "relu_norm", "weight_std": True,
                  "zero_init_skip": True},
}


def randomise(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if name.endswith("conv.weight") or name == "c10.weight":
                fan_in = t[0].numel()
                t.copy_(torch.randn(t.shape, generator=g) * (2.0 / fan_in) ** 0.5)
            elif name.endswith("norm.weight"):
                t.copy_(1.0 + 0.2 * torch.randn(t.shape, generator=g))
            elif name.endswith("norm.bias"):
                t.copy_(0.2 * torch.randn(t.shape, generator=g))
            elif name.endswith("running_mean"):
                t.copy_(0.3 * torch.randn(t.shape, generator=g))
            elif name.endswith("running_var"):
                t.copy_(0.5 + torch.rand(t.shape, generator=g))
            elif name.endswith("num_batches_tracked"):
                t.fill_(123)
    return model


def torch_to_c(cli, tmp, data_dir):
    images, _ = test_images(data_dir)
    for i, (norm, desc) in enumerate(T_MODELS.items()):
        print("(b) PyTorch -> C, %s" % norm)
        model = randomise(NormlabNet(desc), 100 + i).eval()
        classes = model.desc["classes"]
        st = os.path.join(tmp, "b_%s.safetensors" % norm)
        bare = os.path.join(tmp, "b_%s_bare.safetensors" % norm)
        js = os.path.join(tmp, "b_%s.json" % norm)
        save_normlab(model, st)
        safetensors_io.save_file(model.state_dict(), bare)  # no metadata: needs --json
        with open(js, "w") as f:
            f.write(model.to_json())
        ck = os.path.join(tmp, "b_%s.ckpt" % norm)
        cli.ok("import", "--in", st, "--save", ck, "--epochs", 1, "--batch", 32)
        t = torch_logits(model, images)
        if classes == 10:
            compare("torch -> C %s" % norm, c_logits(cli, ck, data_dir, os.path.join(tmp, "b_%s.logits" % norm)), t)
        else:  # the trainer's evaluation assumes 10 CIFAR classes; predict works for any count
            compare("torch -> C %s (%d classes)" % (norm, classes),
                    c_logits(cli, ck, data_dir, os.path.join(tmp, "b_%s.logits" % norm), classes), t)
        ck2 = os.path.join(tmp, "b_%s_json.ckpt" % norm)
        cli.ok("import", "--in", bare, "--json", js, "--save", ck2)
        c2 = c_logits(cli, ck2, data_dir, os.path.join(tmp, "b_%s_json.logits" % norm), classes)
        check(np.array_equal(c2, c_logits(cli, ck, data_dir, os.path.join(tmp, "b_%s.logits" % norm), classes)),
              "import --json MODEL.json of a file without metadata gives the same model")
        rc, out, err = cli.run("describe", "--in", st)
        check(rc == 0 and json.loads(out) == json.loads(model.to_json()), "describe --in prints the description")
        # back out of C: bit-identical tensors
        back = os.path.join(tmp, "b_%s_back.safetensors" % norm)
        cli.ok("export", "--load", ck, "--out", back)
        tb, _ = safetensors_io.load_file(back)
        sd = model.state_dict()
        check(list(tb) == list(sd) and all(torch.equal(tb[k], sd[k]) for k in sd),
              "export of the imported checkpoint is bit-identical to the PyTorch state_dict")
        if classes == 10:
            rc, out, err = cli.run("eval", "--load", ck, "--data", data_dir)
            check(rc == 0 and "accuracy" in out, "normlab eval --load works on the imported checkpoint")
            ck3 = os.path.join(tmp, "b_%s_resumed.ckpt" % norm)
            rc, out, err = cli.run("train", "--resume", ck, "--data", data_dir, "--train-limit", 64, "--save", ck3,
                                   "--quiet")
            check(rc == 0 and os.path.exists(ck3), "normlab train --resume works on the imported checkpoint" +
                  ("" if rc == 0 else ": " + err.strip()))


# ---- (c) bad files ----
def bad_files(cli, tmp):
    print("(c) bad files are rejected, nothing is written")
    model = randomise(NormlabNet(T_MODELS["bn"]), 7)
    meta = {"format": "pt", "normlab_model": json.dumps(model.desc)}
    sd = dict(model.state_dict())
    good = safetensors_io.save_bytes(sd, meta)
    (hlen,) = struct.unpack("<Q", good[:8])

    def variant(change):
        d = dict(sd)
        change(d)
        return safetensors_io.save_bytes(d, meta)

    def rename(d):
        d["fc.weight"] = d.pop("c10.weight")

    cases = [
        ("wrong name", variant(rename), "safetensors: missing tensor c10.weight"),
        ("extra tensor", variant(lambda d: d.update(foo=torch.zeros(3))), "safetensors: unexpected tensor foo"),
        ("wrong shape", variant(lambda d: d.update({"C3.conv.weight": torch.zeros(24, 32, 3, 3)})),
         "safetensors: tensor C3.conv.weight has shape [24,32,3,3], expected [28,16,3,3]"),
        ("wrong dtype", variant(lambda d: d.update({"C1.conv.weight": d["C1.conv.weight"].half()})),
         "safetensors: C1.conv.weight has dtype F16, expected F32"),
        ("wrong counter dtype", variant(lambda d: d.update({"C2.norm.num_batches_tracked": torch.tensor(5.0)})),
         "safetensors: C2.norm.num_batches_tracked has dtype F32, expected I64"),
        ("truncated header", good[:20], "safetensors: header length %d exceeds the file size 20" % hlen),
        ("header length beyond the file", struct.pack("<Q", 99999) + good[8:1234],
         "safetensors: header length 99999 exceeds the file size 1234"),
        ("too short", good[:5], "safetensors: file of 5 bytes is too short"),
        ("non-JSON header", struct.pack("<Q", 16) + b"this is not JSON" + good[8 + hlen:],
         "safetensors: header is not a JSON object"),
        ("malformed JSON header", struct.pack("<Q", 8) + b'{"a": }' + b" " + good[8 + hlen:],
         "safetensors: header is not valid JSON: unexpected character '}' at offset 6"),
        ("truncated data", good[:-4], "outside the"),
        ("NaN weight", variant(lambda d: d["C4.norm.bias"].__setitem__(3, float("nan"))),
         "safetensors: C4.norm.bias holds a non-finite value"),
        ("no description", safetensors_io.save_bytes(sd), "no normlab_model description in the metadata"),
    ]
    out = os.path.join(tmp, "c_out.ckpt")
    for what, data, want in cases:
        path = os.path.join(tmp, "c_bad.safetensors")
        with open(path, "wb") as f:
            f.write(data)
        rc, _, err = cli.run("import", "--in", path, "--save", out)
        lines = err.strip().splitlines()
        check(rc == 1 and len(lines) == 1 and want in lines[0] and not os.path.exists(out) and
              not os.path.exists(out + ".tmp"),
              "%s: exit %d, %r" % (what, rc, err.strip()))
    # usage errors exit 2
    for args in (["import", "--in", "x.safetensors"], ["export", "--load", "x.ckpt"], ["import", "--bogus", "1"]):
        rc, _, err = cli.run(*args)
        check(rc == 2 and len(err.strip().splitlines()) == 1, "normlab %s: usage error, exit %d" % (" ".join(args), rc))
    js = os.path.join(tmp, "c_bad.json")
    with open(js, "w") as f:
        f.write('{"format": "normlab-model", "version": 1, "norm": "xx"}')
    rc, _, err = cli.run("summary", "--config", js)
    check(rc == 1 and "norm must be bn, gn or ln, got 'xx'" in err, "summary --config with a bad model file: %r" % err.strip())


def configs(cli, tmp):
    """`normlab config` output is read by PyTorch too (its model part), as `describe` writes it."""
    print("(d) configuration JSON")
    for norm, extra in (("bn", []), ("gn", ["--groups", "4"]), ("ln", ["--preset", "reference"])):
        cfg = os.path.join(tmp, "cfg_%s.json" % norm)
        with open(cfg, "w") as f:
            f.write(cli.ok("config", "--norm", norm, "--seed", "4000000000", *extra))
        desc = cli.ok("describe", "--config", cfg)
        check(parse_desc(cfg) == parse_desc(desc), "%s: normlab config -> PyTorch = describe -> PyTorch" % norm)
    # the levers: same description both sides, zero-initialised scales at the skips' targets
    desc = cli.ok("describe", "--norm", "gn", "--order", "relu_norm", "--weight-std", "--zero-init-skip")
    d = parse_desc(desc)
    check(d["order"] == "relu_norm" and d["weight_std"] is True and d["zero_init_skip"] is True,
          "describe writes order, weight_std and zero_init_skip")
    m = NormlabNet(desc)
    check(all(float(getattr(m, b).norm.weight.abs().sum()) == (0.0 if b in ("C5", "C9") else getattr(m, b).norm.weight.numel())
              for b in ("C1", "C2", "c3", "C3", "C4", "C5", "c6", "C7", "C8", "C9")),
          "zero_init_skip: norm weight 0 at C5 and C9 (the default skips' targets), 1 elsewhere")
    rc, out, err = cli.run("describe", "--norm", "gn", "--order", "norm_relu", "--zero-init-skip")
    check(rc != 0 and "zero_init_skip needs order relu_norm" in err, "zero_init_skip without relu_norm: %r" % err.strip())
    try:
        parse_desc({"format": "normlab-model", "version": 1, "norm": "gn", "zero_init_skip": True})
        check(False, "PyTorch side accepted zero_init_skip without relu_norm")
    except ModelJSONError as e:
        check("zero_init_skip needs order relu_norm" in str(e), "PyTorch side: %s" % e)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--normlab", required=True, help="path of the normlab executable")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    cli = CLI(os.path.abspath(args.normlab))
    torch.manual_seed(0)
    tmp = tempfile.mkdtemp(prefix="nl_interop_")
    try:
        data_dir, tgz = write_data(tmp)
        c_to_torch(cli, tmp, data_dir, tgz)
        torch_to_c(cli, tmp, data_dir)
        bad_files(cli, tmp)
        configs(cli, tmp)
    except AssertionError as e:
        failures.append(str(e))
        print("FAIL %s" % e)
    finally:
        if args.keep:
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("\nlogit differences (max |C - PyTorch| over %d test images x classes):" % N_TEST)
    for what, diff, mx in results:
        print("  %-28s %.3g   (max |logit| %.3g)" % (what, diff, mx))
    print("%s: %d failure(s)" % ("PASS" if not failures else "FAIL", len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
