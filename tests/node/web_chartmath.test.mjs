// The page's chart arithmetic: ticks, scales, smoothing, thinning, tick labels.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import {
  autoSmoothing, cleanFloat, formatTick, heatColour, linearScale, niceStep, niceTicks, parseHex, smooth, thin, tickDecimals, yDomain, yExtent,
} from '../../web/lib/chartmath.js';

test('nice steps are 1, 2, 5 or 10 times a power of ten, at or above the raw step', () => {
  assert.equal(niceStep(0.37), 0.5);
  assert.equal(niceStep(0.3), 0.5);
  assert.equal(niceStep(7.7), 10);
  assert.equal(niceStep(1.2), 2);
  assert.equal(niceStep(180), 200);
  assert.equal(niceStep(2), 2);
});

// One definition of the ticks: draw_nice_ticks() in tools/draw/canvas.c. Its output for a
// table of ranges is committed (tests/c/test_ticks.c keeps it in step with the C code).
test('the page gives the same ticks as the CLI plots (tests/golden/nice_ticks.json)', () => {
  const table = JSON.parse(readFileSync(new URL('../golden/nice_ticks.json', import.meta.url), 'utf8'));
  assert.ok(table.cases.length >= 20);
  const close = (a, b) => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));
  for (const c of table.cases) {
    const t = niceTicks(c.lo, c.hi, c.max_ticks - 1, c.min_step);
    const what = `${c.lo} .. ${c.hi}, ${c.max_ticks} ticks: got ${JSON.stringify(t)}, C: ${JSON.stringify(c)}`;
    assert.ok(close(t.step, c.step) && close(t.min, c.out_lo) && close(t.max, c.out_hi), what);
    assert.equal(t.ticks.length, c.ticks.length, what);
    t.ticks.forEach((v, i) => assert.ok(close(v, c.ticks[i]), what));
  }
});

test('ticks cover the data with round steps', () => {
  assert.deepEqual(niceTicks(0, 10, 5), { min: 0, max: 10, step: 2, ticks: [0, 2, 4, 6, 8, 10] });
  const t = niceTicks(0.113, 2.48, 5);
  assert.ok(t.min <= 0.113 && t.max >= 2.48);
  assert.equal(t.step, 0.5);
  assert.deepEqual(t.ticks, [0, 0.5, 1, 1.5, 2, 2.5]);
  const small = niceTicks(0.0001, 0.0502, 5);
  assert.deepEqual(small.ticks, [0, 0.02, 0.04, 0.06]);
  // reversed, equal, non-finite
  assert.deepEqual(niceTicks(10, 0, 5).ticks, [0, 2, 4, 6, 8, 10]);
  const eq = niceTicks(3, 3, 4);
  assert.ok(eq.min < 3 && eq.max > 3);
  assert.deepEqual(niceTicks(NaN, 1).ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0, 0).ticks.includes(0), true);
  // no float noise
  const tenth = niceTicks(0.1, 0.7, 10);
  assert.equal(tenth.step, 0.1);
  for (const v of tenth.ticks) assert.equal(v, cleanFloat(v));
  assert.ok(tenth.ticks.includes(0.3) && tenth.ticks.includes(0.7));
});

test('linear scales map domain to range, also inverted (canvas y)', () => {
  const s = linearScale(0, 10, 100, 300);
  assert.equal(s(0), 100);
  assert.equal(s(5), 200);
  assert.equal(s(10), 300);
  const y = linearScale(0, 1, 250, 50);
  assert.equal(y(0), 250);
  assert.equal(y(1), 50);
  assert.equal(linearScale(2, 2, 0, 10)(2), 5);
});

test('tick labels: decimals by step, exponent for tiny steps', () => {
  assert.equal(tickDecimals(0.5), 1);
  assert.equal(tickDecimals(0.25), 2);
  assert.equal(tickDecimals(2), 0);
  assert.equal(tickDecimals(0.05), 2);
  assert.equal(formatTick(1.5, 0.5), '1.5');
  assert.equal(formatTick(2, 0.5), '2.0');
  assert.equal(formatTick(0, 0.5), '0');
  assert.equal(formatTick(0.75, 0.25), '0.75');
  assert.equal(formatTick(20, 10), '20');
  assert.equal(formatTick(0.0002, 0.0001), '2e-4');
  assert.equal(formatTick(0.00025, 0.00005), '2.5e-4');
});

test('smoothing: bias-corrected EMA keeps the first value and skips gaps', () => {
  assert.deepEqual(smooth([2, 2, 2], 0.9), [2, 2, 2]);
  const s = smooth([4, 0], 0.5);
  assert.equal(s[0], 4);
  assert.ok(Math.abs(s[1] - 4 / 3) < 1e-12);
  assert.deepEqual(smooth([1, 2, 3], 0), [1, 2, 3]);
  const g = smooth([1, NaN, 1], 0.5);
  assert.ok(Number.isNaN(g[1]));
  assert.equal(g[2], 1);
  assert.equal(autoSmoothing(5), 0);
  assert.ok(autoSmoothing(100) > 0.5 && autoSmoothing(100) < autoSmoothing(10000));
  assert.ok(autoSmoothing(1e9) <= 0.98);
});

test('thinning keeps at most the limit, the ends and the spikes', () => {
  const pts = Array.from({ length: 10000 }, (_, i) => [i, Math.sin(i / 50)]);
  pts[4321] = [4321, 50];
  const t = thin(pts, 600);
  assert.ok(t.length <= 602, `${t.length}`);
  assert.deepEqual(t[0], pts[0]);
  assert.deepEqual(t[t.length - 1], pts[pts.length - 1]);
  assert.ok(t.some((p) => p[1] === 50), 'the spike survives');
  for (let i = 1; i < t.length; i++) assert.ok(t[i][0] > t[i - 1][0]);
  assert.equal(thin(pts.slice(0, 10), 600).length, 10);
});

test('y extent and domain: finite values only, clamps, include zero', () => {
  assert.deepEqual(yExtent([[[0, 1], [1, NaN]], [[0, 3], [1, Infinity]]]), [1, 3]);
  assert.equal(yExtent([[], [[0, NaN]]]), null);
  const acc = yDomain([40, 99.5], { floor: 0, ceil: 100 });
  assert.ok(acc.max <= 100 && acc.min >= 0);
  assert.ok(acc.ticks.every((t) => t >= 0 && t <= 100));
  assert.ok(acc.min <= 40);
  const gap = yDomain([2, 8], { includeZero: true });
  assert.equal(gap.min, 0);
  const neg = yDomain([-3, 5], { includeZero: true });
  assert.ok(neg.min <= -3 && neg.ticks.includes(0));
  const loss = yDomain([0.01, 2.3], { floor: 0 });
  assert.equal(loss.min, 0);
  assert.ok(loss.max >= 2.3);
});

test('heat colours go from white to the colour', () => {
  assert.equal(heatColour(0, [0, 0, 0]), 'rgb(255, 255, 255)');
  assert.equal(heatColour(1, [10, 20, 30]), 'rgb(10, 20, 30)');
  assert.equal(heatColour(5, [10, 20, 30]), 'rgb(10, 20, 30)');
  assert.equal(heatColour(NaN, [10, 20, 30]), 'rgb(255, 255, 255)');
  assert.equal(heatColour(0, [10, 20, 30], [26, 31, 37]), 'rgb(26, 31, 37)');
  assert.equal(heatColour(0.5, [10, 20, 30], [30, 40, 50]), 'rgb(20, 30, 40)');
  assert.deepEqual(parseHex('#1a1f25'), [26, 31, 37]);
  assert.deepEqual(parseHex('#fff'), [255, 255, 255]);
  assert.equal(parseHex('rgb(1,2,3)'), null);
});
