// The evaluation panels: the most confident mistakes of each run (one grid per run) and the
// confusion matrix of the selected run, both from the run's last evaluation on the test set.
import { classNames as cleanClassNames } from '../lib/cifar.js';
import { formatPct, slug } from '../lib/format.js';
import { runById, selectedEvalRun } from '../lib/run_state.js';
import { drawConfusion, drawMistakes, savePng } from '../charts.js';
import { $, state } from './common.js';
import { registerDrawer, scheduleDraw } from './redraw.js';

const mistakeCards = new Map();

const classNamesNow = () => (state.data ? state.data.classNames : cleanClassNames());
const when = (run) => (run.source === 'checkpoint' ? 'from file' : `epoch ${run.epochsDone}`);

/** One card per run with an evaluation, in run order. */
export function renderMistakes() {
  const host = $('mistakes');
  const withEval = state.runs.filter((r) => r.finalEval);
  for (const [id, card] of mistakeCards) {
    if (!withEval.some((r) => r.id === id)) {
      card.remove();
      mistakeCards.delete(id);
    }
  }
  for (const run of withEval) {
    let card = mistakeCards.get(run.id);
    if (!card) {
      card = document.createElement('figure');
      card.className = 'mistake-card chart-box';
      card.dataset.run = String(run.id);
      const canvas = document.createElement('canvas');
      canvas.className = 'chart mistakes';
      canvas.setAttribute('role', 'img');
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'save-png';
      btn.textContent = 'PNG';
      btn.addEventListener('click', () => savePng(canvas, `normlab-mistakes-${slug(run.label)}.png`));
      card.append(canvas, btn);
      host.append(card);
      mistakeCards.set(run.id, card);
    }
    drawMistakeCard(run, card);
  }
  // keep the cards in run order
  for (const run of withEval) host.append(mistakeCards.get(run.id));
  $('mistakes-empty').hidden = withEval.length > 0;
}

function drawMistakeCard(run, card) {
  const canvas = card.querySelector('canvas');
  const ev = run.finalEval;
  const names = classNamesNow();
  drawMistakes(canvas, {
    title: `${run.label} · ${when(run)} · test accuracy ${formatPct(ev.acc)}`,
    images: ev.images,
    items: ev.mis,
    classNames: names,
    emptyText: 'No misclassified test images.',
  });
  canvas.dataset.images = String(ev.mis.length);
  canvas.setAttribute('aria-label', `${run.label}: ${ev.mis.map((m) => `${names[m.label]} predicted as ${names[m.pred]} (${Math.round(m.conf * 100)}%)`).join('; ')}`);
}

/** The run selector of the confusion matrix; marks the selected run in the results table. */
export function renderConfusionSelect() {
  const sel = $('confusion-run');
  const withEval = state.runs.filter((r) => r.finalEval);
  selectedEvalRun(state);
  sel.replaceChildren(...withEval.map((r) => {
    const o = document.createElement('option');
    o.value = String(r.id);
    o.textContent = r.label;
    return o;
  }));
  sel.disabled = withEval.length === 0;
  if (state.selectedRun) sel.value = String(state.selectedRun);
  $('confusion').hidden = withEval.length === 0;
  $('confusion-empty').hidden = withEval.length > 0;
  for (const tr of $('results-body').children) tr.classList.toggle('selected', tr.dataset.run === String(state.selectedRun));
}

$('confusion-run').addEventListener('change', (e) => {
  state.selectedRun = Number(e.target.value);
  renderConfusionSelect();
  scheduleDraw('confusion');
});

function drawConfusionChart() {
  const run = runById(state, state.selectedRun);
  const canvas = $('confusion');
  if (!run || !run.finalEval || canvas.hidden) return;
  const ev = run.finalEval;
  drawConfusion(canvas, {
    title: `${run.label} · test set · ${when(run)} · accuracy ${formatPct(ev.acc)}`,
    confusion: ev.confusion,
    classAcc: ev.classAcc,
    classNames: classNamesNow(),
  });
}

registerDrawer('confusion', drawConfusionChart);
registerDrawer('mistakes', () => {
  for (const run of state.runs) if (mistakeCards.has(run.id)) drawMistakeCard(run, mistakeCards.get(run.id));
});
