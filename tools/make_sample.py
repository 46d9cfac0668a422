#!/usr/bin/env python3
"""Makes assets/cifar-10-sample.tar.gz: a small CIFAR-10 sample in the official binary layout.

    /usr/bin/python3 tools/make_sample.py /path/to/cifar-10-binary.tar.gz [--out assets]
        [--train-per-class 200] [--test-per-class 50]

The input is a full CIFAR-10 binary archive (the official cifar-10-binary.tar.gz, or a copy with
the same layout). The sample takes, for every class, the first N training images in the order of
data_batch_1..5 and the first M test images of test_batch: balanced per class and reproducible.
The chosen training records keep their relative order and are split evenly over
data_batch_1..5.bin; the test records go to test_batch.bin; batches.meta.txt is copied. So the
sample is read by the same loaders as the full set (the CLI, the page, tools/pytorch).

The archive is deterministic (fixed tar headers and gzip header time), so running the script
again on the same input gives the same bytes. It also writes assets/cifar-10-sample.json, which
the page reads to describe the sample before loading it.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

RECORD = 3073  # 1 label byte + 3 x 32 x 32 pixel bytes
CLASSES = 10
TRAIN_FILES = ["data_batch_%d.bin" % i for i in range(1, 6)]
TEST_FILE = "test_batch.bin"
META_FILE = "batches.meta.txt"
FOLDER = "cifar-10-batches-bin"
SAMPLE_NAME = "cifar-10-sample.tar.gz"


def read_members(path):
    """Returns {base name: bytes} of the batch files and the meta file in the archive."""
    wanted = set(TRAIN_FILES + [TEST_FILE, META_FILE])
    found = {}
    with tarfile.open(path, "r:*") as tar:
        for m in tar:
            base = os.path.basename(m.name)
            if m.isfile() and base in wanted:
                found[base] = tar.extractfile(m).read()
    missing = sorted(wanted - set(found) - {META_FILE})
    if missing:
        sys.exit("make_sample: %s lacks %s" % (path, ", ".join(missing)))
    return found


def records(data, name):
    if len(data) % RECORD:
        sys.exit("make_sample: %s: %d bytes is not a whole number of %d-byte records" % (name, len(data), RECORD))
    return [data[i:i + RECORD] for i in range(0, len(data), RECORD)]


def first_per_class(recs, per_class, what):
    """The first per_class records of each class, in their original order."""
    counts = [0] * CLASSES
    out = []
    for r in recs:
        c = r[0]
        if c >= CLASSES:
            sys.exit("make_sample: %s: label %d out of range" % (what, c))
        if counts[c] < per_class:
            counts[c] += 1
            out.append(r)
    if min(counts) < per_class:
        sys.exit("make_sample: %s has only %s images per class, %d wanted" % (what, counts, per_class))
    return out


def tar_gz(files):
    """A deterministic .tar.gz of [(name, bytes)] under cifar-10-batches-bin/."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        d = tarfile.TarInfo(FOLDER)
        d.type, d.mode, d.mtime = tarfile.DIRTYPE, 0o755, 0
        tar.addfile(d)
        for name, data in files:
            info = tarfile.TarInfo("%s/%s" % (FOLDER, name))
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=9, mtime=0) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("source", help="the full cifar-10-binary.tar.gz")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets"))
    ap.add_argument("--train-per-class", type=int, default=200)
    ap.add_argument("--test-per-class", type=int, default=50)
    a = ap.parse_args()
    if a.train_per_class < 1 or a.test_per_class < 1:
        sys.exit("make_sample: the per-class counts must be positive")

    members = read_members(a.source)
    train = []
    for name in TRAIN_FILES:
        train += records(members[name], name)
    test = records(members[TEST_FILE], TEST_FILE)
    train = first_per_class(train, a.train_per_class, "the training set")
    test = first_per_class(test, a.test_per_class, TEST_FILE)

    # Five training batches of (nearly) equal size, as in the official layout.
    files = []
    start = 0
    for i, name in enumerate(TRAIN_FILES):
        n = (len(train) - start) // (len(TRAIN_FILES) - i)
        files.append((name, b"".join(train[start:start + n])))
        start += n
    files.append((TEST_FILE, b"".join(test)))
    meta = members.get(META_FILE)
    if meta is not None:
        files.append((META_FILE, meta))

    blob = tar_gz(files)
    os.makedirs(a.out, exist_ok=True)
    target = os.path.join(a.out, SAMPLE_NAME)
    tmp = target + ".tmp"
    with open(tmp, "wb") as f:
        f.write(blob)
    os.replace(tmp, target)  # atomic: never a half-written sample

    manifest = {
        "file": SAMPLE_NAME,
        "bytes": len(blob),
        "sha256": hashlib.sha256(blob).hexdigest(),
        "train": len(train),
        "test": len(test),
        "trainPerClass": a.train_per_class,
        "testPerClass": a.test_per_class,
        "batches": {name: len(data) // RECORD for name, data in files if name != META_FILE},
        "madeBy": "tools/make_sample.py",
        "source": os.path.basename(a.source),
        "sourceSha256": file_sha256(a.source),
    }
    mtmp = os.path.join(a.out, "cifar-10-sample.json.tmp")
    with open(mtmp, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    os.replace(mtmp, os.path.join(a.out, "cifar-10-sample.json"))
    print("make_sample: %s: %d train + %d test images (%d + %d per class), %d bytes" % (
        os.path.relpath(target), len(train), len(test), a.train_per_class, a.test_per_class, len(blob)))


if __name__ == "__main__":
    main()
