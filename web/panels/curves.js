// The training curves: loss, accuracy, learning rate (with the schedule the current
// settings would follow) and the generalization gap of every visible run.
import { toApi } from '../lib/settings.js';
import { formatSci } from '../lib/format.js';
import { smooth } from '../lib/chartmath.js';
import { plannedLr } from '../lib/schedule.js';
import { drawLineChart, theme } from '../charts.js';
import { $, state } from './common.js';
import { registerDrawer } from './redraw.js';

function chartHeight() {
  return window.innerWidth < 560 ? 230 : 260;
}

function drawCurves() {
  const runs = state.runs.filter((r) => r.visible && r.source !== 'checkpoint');
  const v = state.lastValidation;
  const formOk = v && v.ok;
  const formEpochs = formOk ? v.values.epochs : 0;
  const planned = Math.max(formEpochs, ...runs.map((r) => r.epochsPlanned || 1)) || 10;
  const xDomain = [0, Math.max(1, planned)];
  const legendRuns = runs.map((r) => ({ label: r.label, color: r.color }));
  const T = theme();
  const styleKey = [
    { label: 'test', color: T.muted, width: 2 },
    { label: 'train', color: T.muted, dash: [6, 4], width: 2 },
  ];
  const anyBatches = runs.some((r) => r.batches.length);
  const empty = anyBatches ? 'Appears after the first epoch' : state.data ? 'Press Train or Compare to see curves here' : 'Load the data set, then press Train';
  const height = chartHeight();

  const lossSeries = [];
  const accSeries = [];
  const lrSeries = [];
  const gapSeries = [];
  for (const r of runs) {
    const b = r.batches;
    if (b.length) {
      const sm = smooth(b.map((p) => p[1]), r.smoothing ?? 0.6);
      lossSeries.push({ color: r.color, width: 1.3, alpha: 0.55, points: b.map((p, i) => [p[0], sm[i]]) });
    }
    lossSeries.push({ color: r.color, dash: [6, 4], markers: true, hollow: true, points: r.epochs.map((e) => [e.epoch, e.trainLoss]) });
    lossSeries.push({ color: r.color, markers: true, points: r.epochs.map((e) => [e.epoch, e.testLoss]) });
    accSeries.push({ color: r.color, dash: [6, 4], markers: true, hollow: true, points: r.epochs.map((e) => [e.epoch, e.trainAcc * 100]) });
    accSeries.push({ color: r.color, markers: true, points: r.epochs.map((e) => [e.epoch, e.testAcc * 100]) });
    // identical schedules overlap exactly: earlier runs are drawn wider so each stays visible
    lrSeries.push({ color: r.color, width: 2 + 2.5 * (runs.length - 1 - runs.indexOf(r)), points: r.lrs });
    gapSeries.push({ color: r.color, markers: true, points: r.epochs.map((e) => [e.epoch, (e.trainAcc - e.testAcc) * 100]) });
  }
  drawLineChart($('chart-loss'), {
    title: 'Loss',
    xLabel: 'epoch',
    yLabel: 'cross-entropy loss',
    xDomain,
    series: lossSeries,
    legend: [...legendRuns, ...styleKey, { label: 'per batch', color: T.muted, width: 1.3, alpha: 0.55 }],
    y: { floor: 0, ceil: 5 }, // above ~2x the loss of guessing, a run has blown up: let it leave the chart
    emptyY: [0, 2.4],
    empty,
    height,
  });
  drawLineChart($('chart-acc'), {
    title: 'Accuracy',
    xLabel: 'epoch',
    yLabel: 'accuracy (%)',
    xDomain,
    series: accSeries,
    legend: [...legendRuns, ...styleKey],
    y: { floor: 0, ceil: 100 },
    emptyY: [0, 100],
    yFormat: (t) => `${t}%`,
    empty,
    height,
  });
  // the schedule the current settings would follow, drawn behind the runs
  const lrLegend = [...legendRuns];
  if (formOk && state.training === 'idle') {
    const s = toApi(v.values).settings;
    const pts = plannedLr(s, state.data ? state.data.info.train : 50000);
    if (pts.length) {
      lrSeries.unshift({ color: T.muted, width: 1.5, dash: [3, 3], points: pts });
      lrLegend.push({ label: 'planned (settings)', color: T.muted, width: 1.5, dash: [3, 3] });
    }
  }
  drawLineChart($('chart-lr'), {
    title: 'Learning rate',
    xLabel: 'epoch',
    yLabel: 'learning rate',
    xDomain,
    series: lrSeries,
    legend: lrLegend,
    y: { floor: 0, includeZero: true },
    emptyY: [0, 0.05],
    yFormat: (t, step) => (t === 0 ? '0' : step < 0.001 ? formatSci(t) : String(Number(t.toPrecision(4)))),
    empty,
    height,
  });
  drawLineChart($('chart-gap'), {
    title: 'Generalization gap',
    xLabel: 'epoch',
    yLabel: 'train − test accuracy (points)',
    xDomain,
    series: gapSeries,
    legend: legendRuns,
    y: { includeZero: true },
    emptyY: [0, 10],
    yFormat: (t, step) => (step < 1 ? t.toFixed(1) : String(t)),
    empty,
    height,
  });
}

registerDrawer('curves', drawCurves);
