"""Reads the CIFAR-10 binary version as the core does (core/data/cifar.c, cifar_files.c): the
official cifar-10-binary.tar.gz (or a plain .tar), the extracted cifar-10-batches-bin/ folder
or its parent, or the sample in assets/. The training set is data_batch_1..5.bin in that order,
the test set test_batch.bin; records are 1 label byte + 3072 pixel bytes (planar RGB 32x32).

    from cifar_data import load_cifar, CifarError
    train_labels, train_images, test_labels, test_images = load_cifar(path)   # numpy uint8
"""
import os
import tarfile

import numpy as np

RECORD = 3073
BATCHES = ["data_batch_%d.bin" % i for i in range(1, 6)] + ["test_batch.bin"]
FOLDER = "cifar-10-batches-bin"


class CifarError(ValueError):
    pass


def _records(raw, name):
    if len(raw) % RECORD:
        raise CifarError("%s has %d bytes, not a whole number of %d-byte records" % (name, len(raw), RECORD))
    a = np.frombuffer(raw, np.uint8).reshape(-1, RECORD)
    if a.shape[0] and a[:, 0].max() > 9:
        bad = int(np.argmax(a[:, 0] > 9))
        raise CifarError("%s: record %d has label %d (must be 0..9)" % (name, bad, a[bad, 0]))
    return a[:, 0].copy(), a[:, 1:].reshape(-1, 3, 32, 32).copy()


def _read_folder(path):
    base = path
    if not os.path.isfile(os.path.join(base, BATCHES[0])):
        base = os.path.join(path, FOLDER)
        if not os.path.isfile(os.path.join(base, BATCHES[0])):
            raise CifarError("%s: not a gzip/tar file or CIFAR-10 folder (no %s in it or in %s/)" % (path, BATCHES[0], FOLDER))
    raws = []
    for name in BATCHES:
        p = os.path.join(base, name)
        if not os.path.isfile(p):
            raise CifarError("%s: missing %s" % (base, name))
        with open(p, "rb") as f:
            raws.append(f.read())
    return raws


def _read_tar(path):
    found = {}
    try:
        with tarfile.open(path, "r:*") as tar:
            for m in tar:
                base = os.path.basename(m.name)
                if m.isfile() and base in BATCHES:
                    found[base] = tar.extractfile(m).read()
    except tarfile.ReadError:
        raise CifarError("%s: not a gzip/tar file or CIFAR-10 folder" % path)
    except (tarfile.TarError, EOFError, OSError, ValueError) as e:  # a cut or corrupt archive
        raise CifarError("%s: cannot read the archive: %s" % (path, e))
    missing = [n for n in BATCHES if n not in found]
    if missing:
        raise CifarError("%s: missing %s" % (path, ", ".join(missing)))
    return [found[n] for n in BATCHES]


def load_cifar(path):
    """(train_labels [n], train_images [n,3,32,32], test_labels [m], test_images [m,3,32,32])."""
    if not os.path.exists(path):
        raise CifarError("%s: no such file or folder" % path)
    raws = _read_folder(path) if os.path.isdir(path) else _read_tar(path)
    parts = [_records(raw, name) for raw, name in zip(raws, BATCHES)]
    train_labels = np.concatenate([p[0] for p in parts[:5]])
    train_images = np.concatenate([p[1] for p in parts[:5]])
    test_labels, test_images = parts[5]
    if len(train_labels) == 0 or len(test_labels) == 0:
        raise CifarError("%s: the %s set is empty" % (path, "training" if len(train_labels) == 0 else "test"))
    return train_labels, train_images, test_labels, test_images


def default_sample():
    """assets/cifar-10-sample.tar.gz of this repository (2,000 + 500 images), as `normlab train`
    uses without --data."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        "assets", "cifar-10-sample.tar.gz")
