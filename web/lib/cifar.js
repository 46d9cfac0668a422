// CIFAR-10 helpers for drawing: planar CIFAR pixels to RGBA, picking sample images per
// class. Pure.

export const CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
export const IMAGE_BYTES = 3072;

/**
 * One image in CIFAR layout (1024 R, 1024 G, 1024 B) as RGBA pixels (32 x 32 x 4).
 * @param {Uint8Array} src @param {number} [offset] byte offset of the image in src
 * @param {Uint8ClampedArray} [out] 4096 bytes to fill
 * @returns {Uint8ClampedArray}
 */
export function cifarToRgba(src, offset = 0, out = new Uint8ClampedArray(4096)) {
  for (let i = 0; i < 1024; i++) {
    out[4 * i] = src[offset + i];
    out[4 * i + 1] = src[offset + 1024 + i];
    out[4 * i + 2] = src[offset + 2048 + i];
    out[4 * i + 3] = 255;
  }
  return out;
}

/**
 * Indices of the first `perClass` images of each class (in data-set order).
 * @param {ArrayLike<number>} labels @param {number} perClass
 * @returns {number[][]} [class][k]
 */
export function samplesPerClass(labels, perClass) {
  const out = Array.from({ length: 10 }, () => []);
  let full = 0;
  for (let i = 0; i < labels.length && full < 10; i++) {
    const c = labels[i];
    if (c > 9 || out[c].length >= perClass) continue;
    out[c].push(i);
    if (out[c].length === perClass) full++;
  }
  return out;
}

/**
 * Class counts of a label array.
 * @param {ArrayLike<number>} labels @returns {number[]}
 */
export function classCounts(labels) {
  const n = new Array(10).fill(0);
  for (let i = 0; i < labels.length; i++) if (labels[i] < 10) n[labels[i]]++;
  return n;
}

/**
 * Class names for display: the data set's names if there are 10 non-empty ones.
 * @param {string[]|undefined} names
 */
export function classNames(names) {
  if (Array.isArray(names) && names.length === 10 && names.every((s) => typeof s === 'string' && s.trim())) {
    return names.map((s) => s.trim().replace(/_/g, ' '));
  }
  return CLASS_NAMES.slice();
}
