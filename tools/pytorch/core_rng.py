"""The core's counter-based random numbers (core/base/nl_rng.h) in numpy, so that train.py draws
the same data order, augmentation and initial weights as `normlab train` for the same seed.

nl_rng is splitmix64: draw k (1-based) of a stream whose state is s is mix(s + k * GOLDEN), so
a whole stream (or the same draw of many streams) is computed at once with uint64 arrays.
"""
import numpy as np

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_IV = 0x6A09E667F3BCC908
_A = 0xD1B54A32D192ED03
_B = 0x8CB92BA72F3D8DD7
MASK = (1 << 64) - 1


def _mix(z):
    """splitmix64's output function on a uint64 array (after the state increment)."""
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def _mix_int(z):
    z &= MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def stream(seed, a, b):
    """The state of nl_rng_stream(seed, a, b): an int, or a uint64 array when b is an array
    (one stream per element, e.g. one per image of a batch)."""
    g = 0x9E3779B97F4A7C15
    s = (int(seed) ^ _IV) & MASK
    s = _mix_int(s + g) ^ ((int(a) * _A) & MASK)
    if np.isscalar(b):
        s = _mix_int(s + g) ^ ((int(b) * _B) & MASK)
        return (s + g) & MASK  # the last nl_rng_next only advances the state
    with np.errstate(over="ignore"):
        s = _mix(np.uint64(s) + GOLDEN) ^ (np.asarray(b, dtype=np.uint64) * np.uint64(_B))
        return s + GOLDEN


def draws(state, k):
    """Draw k (1-based) of stream(s) at `state` (int or uint64 array): the raw uint64."""
    with np.errstate(over="ignore"):
        return _mix(np.asarray(state, dtype=np.uint64) + np.uint64(k) * GOLDEN)


def below(raw, n):
    """nl_rng_below from raw draws: ((raw >> 32) * n) >> 32, n < 2^32 (scalar or array)."""
    with np.errstate(over="ignore"):
        return ((raw >> np.uint64(32)) * np.asarray(n, dtype=np.uint64)) >> np.uint64(32)


def uniform(raw):
    """nl_rng_uniform from raw draws: float32 in [0, 1) with 24 random bits."""
    return (raw >> np.uint64(40)).astype(np.float32) * np.float32(1.0 / 16777216.0)


def permutation(seed, epoch, n):
    """The core's shuffled order of epoch `epoch` (trainer.c ensure_permutation): Fisher-Yates
    from the top with nl_rng_below(i + 1) of stream (seed, 0x5EED5, epoch)."""
    perm = list(range(n))
    if n < 2:
        return np.array(perm, dtype=np.int64)
    s = stream(seed, 0x5EED5, epoch)
    raw = draws(s, np.arange(1, n, dtype=np.uint64))  # draw k is used for i = n - k
    js = below(raw, np.arange(n - 1, 0, -1, dtype=np.uint64) + np.uint64(1)).tolist()
    for k, i in enumerate(range(n - 1, 0, -1)):
        j = js[k]
        perm[i], perm[j] = perm[j], perm[i]
    return np.array(perm, dtype=np.int64)
