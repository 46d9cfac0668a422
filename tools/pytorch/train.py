#!/usr/bin/python3
"""Trains the normlab network of a run configuration with PyTorch, as `normlab train` does:
the same initial weights, data order, augmentation, OneCycle/step/const schedule (per step,
with momentum cycling), SGD with L1/L2 (and norm_decay), label smoothing, validation split and
per-epoch evaluation; it writes the same metrics JSONL and a .safetensors file that
`normlab import` and the page load.

    normlab config --norm bn > c.json
    /usr/bin/python3 tools/pytorch/train.py --config c.json --data cifar-10-binary.tar.gz \\
        --metrics-out m.jsonl --out w.safetensors [--device cuda] [--epochs 30 ...]
    python3 -m torch.distributed.run --standalone --nproc_per_node 2 tools/pytorch/train.py ...

Under torch.distributed.run every process takes an equal share of each (global) batch (DDP:
gloo on CPU, NCCL on CUDA); only rank 0 evaluates and writes files. Training settings given as
flags (--epochs 1, --batch 256, --flip 0, ...) override the configuration's.
"""
import argparse
import json
import math
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import core_rng  # noqa: E402
import safetensors_io  # noqa: E402
from augment import prepare_batch  # noqa: E402
from cifar_data import CifarError, default_sample, load_cifar  # noqa: E402
from core_init import init_like_core  # noqa: E402
from data_split import SplitError, select_images  # noqa: E402
from normlab_model import ModelJSONError, NormlabNet  # noqa: E402
from run_config import TRAIN_FIELDS, ConfigError, load_config  # noqa: E402
from schedule import lr_at, momentum_at  # noqa: E402
from sgd import CoreSGD  # noqa: E402

EXIT_RUNTIME, EXIT_USAGE = 1, 2


class UsageError(ValueError):
    pass


class TrainError(RuntimeError):
    pass


class Args(argparse.ArgumentParser):
    def error(self, message):  # one line and status 2, as the CLI
        raise UsageError(message)


def parse_args(argv):
    ap = Args(prog="train.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", required=True, help="run configuration JSON (normlab config, the page's export)")
    ap.add_argument("--data", help="cifar-10-binary.tar.gz, a .tar, or cifar-10-batches-bin/ (default: assets/ sample)")
    ap.add_argument("--metrics-out", help="metrics JSONL, one object per epoch (as normlab train --metrics-out)")
    ap.add_argument("--out", help="weights .safetensors, rewritten after every epoch")
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument("--init", default="core", choices=("core", "torch"),
                    help="initial weights: core = the ones normlab train draws for the seed (default), torch = torch's RNG")
    ap.add_argument("--train-limit", type=int, help="use only the first N training images (1..60000)")
    ap.add_argument("--test-limit", type=int, help="use only the first N test images (1..10000)")
    ap.add_argument("--quiet", action="store_true", help="no progress output")
    for name, spec in TRAIN_FIELDS.items():
        flag = "--" + name.replace("_", "-")
        if spec[0] == "bool":
            ap.add_argument(flag, dest="set_" + name, nargs="?", const="1", metavar="0|1")
            ap.add_argument("--no-" + name.replace("_", "-"), dest="set_" + name, action="store_const", const="0",
                            help=argparse.SUPPRESS)
        else:
            ap.add_argument(flag, dest="set_" + name, metavar="V")
    args = ap.parse_args(argv)
    for name, lo, hi in (("train_limit", 1, 60000), ("test_limit", 1, 10000)):
        v = getattr(args, name)
        if v is not None and not lo <= v <= hi:
            raise UsageError("--%s must be in %d..%d, got %d" % (name.replace("_", "-"), lo, hi, v))
    args.overrides = {n: getattr(args, "set_" + n) for n in TRAIN_FIELDS if getattr(args, "set_" + n) is not None}
    return args


def write_atomic(path, data):
    """Writes bytes to path through a temporary file in the same folder and a rename."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def weights_bytes(model, config_json):
    sd = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    meta = {"format": "pt", "normlab_model": json.dumps(model.desc), "normlab_config": config_json}
    return safetensors_io.save_bytes(sd, meta)


class Dist:
    """The process group of torch.distributed.run (or one process without it)."""

    def __init__(self, device):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(self.world)))
        self.device = torch.device("cpu")
        if device == "cuda":
            if not torch.cuda.is_available():
                raise UsageError("--device cuda: this PyTorch sees no CUDA device (torch.cuda.is_available() is False)")
            self.device = torch.device("cuda", self.local_rank % torch.cuda.device_count())
            torch.cuda.set_device(self.device)

    def start(self):
        if self.world > 1:
            dist.init_process_group("nccl" if self.device.type == "cuda" else "gloo")

    def sum(self, values):
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        if self.world > 1:
            dist.all_reduce(t)
        return t.tolist()

    def barrier(self):
        if self.world > 1:
            dist.barrier()

    def stop(self):
        if self.world > 1 and dist.is_initialized():
            dist.destroy_process_group()


@torch.no_grad()
def evaluate(model, labels, images, batch, device):
    """(mean loss, accuracy) in eval mode, no augmentation and no label smoothing (as the core)."""
    model.eval()
    loss, correct = 0.0, 0
    for i in range(0, len(labels), batch):
        x = prepare_batch(images[i:i + batch]).to(device)
        y = torch.from_numpy(labels[i:i + batch].astype(np.int64)).to(device)
        logits = model(x)
        loss += F.cross_entropy(logits.double(), y, reduction="sum").item()
        correct += int((logits.argmax(1) == y).sum().item())
    return loss / len(labels), correct / len(labels)


def metrics_line(epoch, train_loss, train_acc, val, test, lr, seconds, ips, norm, params):
    """One line of the metrics file, formatted as tools/cli/cmd_train.c writes it."""
    val_json = ', "val_loss": %.6f, "val_acc": %.6f' % val if val else ""
    return ('{"epoch": %d, "train_loss": %.6f, "train_acc": %.6f%s, "test_loss": %.6f, "test_acc": %.6f, '
            '"lr": %s, "seconds": %.3f, "images_per_sec": %.1f, "norm": "%s", "params": %d}\n' %
            (epoch, train_loss, train_acc, val_json, test[0], test[1], "%.8g" % lr, seconds, ips, norm, params))


def train(args, d):
    desc, cfg, config_json = load_config(args.config, args.overrides)
    for flag, path in (("--metrics-out", args.metrics_out), ("--out", args.out)):
        if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            raise UsageError("%s %s: the folder %s does not exist" % (flag, path, os.path.dirname(os.path.abspath(path))))
    data = args.data or default_sample()
    train_labels, train_images, test_labels, test_images = load_cifar(data)
    if args.train_limit:
        train_labels, train_images = train_labels[:args.train_limit], train_images[:args.train_limit]
    if args.test_limit:
        test_labels, test_images = test_labels[:args.test_limit], test_images[:args.test_limit]
    train_index, val_index = select_images(train_labels, cfg["val"], cfg["train_fraction"])
    batch, epochs, seed = cfg["batch"], cfg["epochs"], cfg["seed"]
    n_train = len(train_index)
    spe = n_train // batch if n_train >= batch else 1  # the last partial batch is dropped, as in the core
    nb = min(n_train, batch)
    total = spe * epochs
    if batch % d.world:
        raise UsageError("the batch (%d) is the global batch, split over the %d processes: it must be a multiple of %d"
                         % (batch, d.world, d.world))
    if nb < d.world:
        raise UsageError("%d training images cannot be split over %d processes" % (nb, d.world))
    if desc["in_channels"] != 3 or desc["in_hw"] != 32:
        raise UsageError("the model input must be 3x32x32 for CIFAR-10, got %dx%dx%d" %
                         (desc["in_channels"], desc["in_hw"], desc["in_hw"]))
    if args.device == "cpu" and cfg["threads"] > 0:
        torch.set_num_threads(cfg["threads"])
    elif args.device == "cpu":
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // max(1, d.local_world)))

    d.start()
    torch.manual_seed((seed + d.rank) & ((1 << 63) - 1))  # dropout masks (the core's differ anyway)
    model = NormlabNet(desc)
    if args.init == "core":
        init_like_core(model, seed)
    sync_bn = d.world > 1 and desc["norm"] == "bn" and d.device.type == "cuda"
    if sync_bn:  # BN statistics over the global batch, as the core; SyncBatchNorm needs CUDA
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model.to(d.device)
    net = model
    if d.world > 1:
        net = torch.nn.parallel.DistributedDataParallel(model, device_ids=[d.device] if d.device.type == "cuda" else None)
    opt = CoreSGD(model.named_parameters(), cfg["l1"], cfg["l2"], cfg["norm_decay"], cfg["nesterov"])
    n_params = sum(p.numel() for p in model.parameters())
    lead = d.rank == 0
    say = (lambda *a: print(*a, file=sys.stderr, flush=True)) if lead and not args.quiet else (lambda *a: None)
    tty = lead and not args.quiet and sys.stderr.isatty()
    if args.data is None:
        say("train.py: no --data: training on the built-in sample (%s, %d + %d images), not the full CIFAR-10"
            % (data, len(train_labels), len(test_labels)))
    say("train.py: %s model, %d parameters, %d train / %d validation / %d test images, %d epochs of %d steps, "
        "%d process%s on %s%s" % (desc["norm"], n_params, n_train, len(val_index), len(test_labels), epochs, spe,
                                  d.world, "es" if d.world > 1 else "", d.device,
                                  ", BN statistics per process" if d.world > 1 and desc["norm"] == "bn" and not sync_bn
                                  else (", SyncBatchNorm" if sync_bn else "")))
    # this process's share of every batch position: an equal slice
    lo, hi = d.rank * nb // d.world, (d.rank + 1) * nb // d.world
    aug = dict(crop=cfg["crop"], flip=cfg["flip"], cutout=cfg["cutout"])
    ls = cfg["label_smoothing"]
    lines, step, run_start = [], 0, time.time()
    for epoch in range(epochs):
        t0 = time.time()
        perm = core_rng.permutation(seed, epoch, n_train)
        loss_sum = correct = seen = 0.0
        lr = 0.0
        for s in range(spe):
            idx = train_index[perm[s * batch + lo:s * batch + hi]]
            x = prepare_batch(train_images[idx], seed, epoch, np.arange(s * batch + lo, s * batch + hi), **aug)
            y = torch.from_numpy(train_labels[idx].astype(np.int64))
            x, y = x.to(d.device), y.to(d.device)
            lr, mom = lr_at(cfg, step, total, spe), momentum_at(cfg, step, total)
            net.train()
            logits = net(x)
            loss = F.cross_entropy(logits, y, reduction="sum", label_smoothing=ls)
            (loss * (d.world / nb)).backward()  # DDP averages over processes: the global batch mean
            got = d.sum([loss.item(), float((logits.argmax(1) == y).sum().item()), float(len(y))])
            if not math.isfinite(got[0]):
                raise TrainError("loss became %g at step %d (learning rate %g too high?)" % (got[0] / got[2], step, lr))
            opt.step(lr, mom)
            opt.zero_grad()
            loss_sum, correct, seen = loss_sum + got[0], correct + got[1], seen + got[2]
            step += 1
            if tty and (s % 5 == 4 or s == spe - 1):
                el = time.time() - t0
                sys.stderr.write("\repoch %2d/%d %4d/%d loss %.4f acc %5.1f%% %6.0f img/s  " %
                                 (epoch + 1, epochs, s + 1, spe, loss_sum / seen, 100 * correct / seen,
                                  (s + 1) * nb / el if el > 0 else 0))
                sys.stderr.flush()
        seconds = time.time() - t0
        if lead:
            test = evaluate(model, test_labels, test_images, batch, d.device)
            val = evaluate(model, train_labels[val_index], train_images[val_index], batch, d.device) if len(val_index) else None
            ips = spe * batch / seconds if seconds > 0 else 0.0
            lines.append(metrics_line(epoch + 1, loss_sum / seen, correct / seen, val, test, lr, seconds, ips,
                                      desc["norm"], n_params))
            if tty:
                sys.stderr.write("\r")
            say("epoch %2d/%d  train loss %.4f acc %5.2f%%%s  test loss %.4f acc %5.2f%%  lr %.4g  %.1fs  %.0f img/s" %
                (epoch + 1, epochs, loss_sum / seen, 100 * correct / seen,
                 "  val loss %.4f acc %5.2f%%" % (val[0], 100 * val[1]) if val else "", test[0], 100 * test[1], lr, seconds, ips))
            if args.metrics_out:
                write_atomic(args.metrics_out, "".join(lines).encode("utf-8"))
            if args.out:
                write_atomic(args.out, weights_bytes(model, config_json))
        d.barrier()
    say("train.py: done in %.1fs%s" % (time.time() - run_start, (", weights " + args.out) if args.out else ""))
    return 0


def main(argv=None):
    d = None
    # the same bad input fails in every process: the first one says so
    say_error = (lambda msg: print("train.py: %s" % msg, file=sys.stderr)) if os.environ.get("RANK", "0") == "0" \
        else (lambda msg: None)
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        d = Dist(args.device)
        return train(args, d)
    except (UsageError, ConfigError, ModelJSONError) as e:
        say_error(e)
        return EXIT_USAGE
    except (CifarError, SplitError, TrainError, safetensors_io.SafetensorsError) as e:
        say_error(e)
        return EXIT_RUNTIME
    except OSError as e:
        say_error("%s%s" % (e.strerror or e, (": " + e.filename) if e.filename else ""))
        return EXIT_RUNTIME
    except KeyboardInterrupt:
        say_error("interrupted (the files hold the last finished epoch)")
        return EXIT_RUNTIME
    finally:
        if d is not None:
            d.stop()


if __name__ == "__main__":
    sys.exit(main())
