// The learning-rate schedules of the core (core/train/schedule.c), so the page can draw the planned
// LR curve before training starts. OneCycle is PyTorch's OneCycleLR (cosine annealing, two
// phases); step multiplies by step_gamma every step_epochs epochs; const keeps the LR.
// Settings use the configuration's names (max_lr, pct_start, ...; the page's run objects'
// names, maxLr, ..., are accepted too); parameters left out take the core's defaults from
// the settings table (lib/settings.js). tests/node/web_schedule.test.mjs checks this against
// the LR the core reports. Pure.
import { configFromView, scheduleDefaults } from './settings.js';

/** Configuration names, whichever form s came in. */
function asConfig(s) {
  if ('maxLr' in s || 'stepEpochs' in s) return configFromView({ settings: s });
  return s;
}

function annealCos(start, end, pct) {
  return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
}

function oneCycle(step, total, pctStart, v0, v1, v2) {
  const end1 = pctStart * total - 1;
  const end2 = total - 1;
  const s = Math.min(step, total - 1);
  if (s <= end1 || total <= 1) return annealCos(v0, v1, end1 > 0 ? s / end1 : 1);
  return annealCos(v1, v2, end2 > end1 ? (s - end1) / (end2 - end1) : 1);
}

/** Optimiser steps per epoch: the last partial batch is dropped (as the core does). */
export function stepsPerEpoch(trainSize, batch) {
  if (!(trainSize > 0) || !(batch > 0)) return 0;
  return trainSize >= batch ? Math.floor(trainSize / batch) : 1;
}

/**
 * The learning rate of optimiser step `step` (0-based).
 * @param {{schedule: string, max_lr: number, pct_start?: number, div_factor?: number, final_div_factor?: number, step_epochs?: number, step_gamma?: number}} s
 * @param {number} step @param {number} totalSteps @param {number} spe steps per epoch
 */
export function lrAt(s, step, totalSteps, spe) {
  const c = asConfig(s);
  const o = { ...scheduleDefaults(c.norm), ...c };
  if (o.schedule === 'onecycle') {
    const initial = o.max_lr / o.div_factor;
    return oneCycle(step, totalSteps, o.pct_start, initial, o.max_lr, initial / o.final_div_factor);
  }
  if (o.schedule === 'step') {
    const epoch = spe > 0 ? Math.floor(step / spe) : 0;
    return o.max_lr * o.step_gamma ** Math.floor(epoch / o.step_epochs);
  }
  return o.max_lr;
}

/**
 * The planned LR curve as [epoch position, lr] points (the position after each step, as the
 * page records them), thinned to about maxPoints.
 * @param {object} s settings (schedule, max_lr, epochs, batch, ...) @param {number} trainSize
 * @param {number} [maxPoints]
 * @returns {Array<[number, number]>}
 */
export function plannedLr(s, trainSize, maxPoints = 400) {
  const spe = stepsPerEpoch(trainSize, s.batch);
  const total = spe * s.epochs;
  if (!total) return [];
  const every = Math.max(1, Math.ceil(total / maxPoints));
  const out = [];
  for (let step = 0; step < total; step += every) out.push([(step + 1) / spe, lrAt(s, step, total, spe)]);
  if ((total - 1) % every !== 0) out.push([total / spe, lrAt(s, total - 1, total, spe)]);
  return out;
}
