"""The core's choice of training and validation images (core/train/trainer.c select_images):
the last val/10 images of each class (file order) are held out as the validation set, then the
first train_fraction of each class's remaining images are trained on, in file order. Neither
depends on the seed, so every norm and seed (and train.py and `normlab train`) sees the same
images.
"""
import numpy as np

CLASSES = 10


class SplitError(ValueError):
    pass


def select_images(labels, val, train_fraction):
    """(train indices, validation indices) into the training set, both in file order."""
    labels = np.asarray(labels)
    per_class_val = val // CLASSES
    count = np.bincount(labels, minlength=CLASSES)
    keep = []
    for k in range(CLASSES):
        rest = int(count[k]) - per_class_val
        if per_class_val and rest < 1:
            raise SplitError("val %d: class %d has %d training images, too few to hold out %d" %
                             (val, k, count[k], per_class_val))
        kk = int(float(rest) * float(train_fraction))
        keep.append(1 if kk < 1 and rest > 0 else kk)
    seen = [0] * CLASSES
    train, held = [], []
    for i, k in enumerate(labels.tolist()):
        pos = seen[k]
        seen[k] += 1
        if pos >= count[k] - per_class_val:
            held.append(i)
        elif pos < keep[k]:
            train.append(i)
    if not train:
        raise SplitError("no training images left after val and train_fraction")
    return np.array(train, dtype=np.int64), np.array(held, dtype=np.int64)
