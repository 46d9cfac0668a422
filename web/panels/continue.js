// Training a run further: Resume (a run interrupted by a reload or a closed tab goes on
// from its last saved epoch to its plan) and Continue (a run or loaded checkpoint: its
// settings go into the form, where only Epochs and Threads can change, and the Train
// button continues it up to that many epochs). Past the run's own plan needs an engine
// with Trainer.setEpochs (engine.setEpochs); without it Continue goes on to the plan.
import { rawFromConfig } from '../lib/settings.js';
import { requeueRun, runById } from '../lib/run_state.js';
import { $, DEFAULTS, state } from './common.js';
import { onFormChange, readForm, validateForm, writeForm } from './form.js';
import { renderResults } from './results.js';
import { sendQueue, updateControls } from './run.js';
import { saveRun } from './saved_runs.js';

/** Fields a checkpoint does not fix (Epochs only if the engine can extend a plan). */
const freeFields = () => new Set(state.engine?.setEpochs ? ['epochs', 'threads'] : ['threads']);

/** Whether a run can be trained now (engine and data ready, nothing training). */
export function canTrainNow() {
  return !!state.engine && !!state.data && !state.dataLoading && state.training === 'idle' && !state.restoring;
}

function threadsNow(run) {
  const v = state.lastValidation;
  const want = v && v.ok ? v.values.threads : run.settings.threads || 1;
  return Math.max(1, Math.min(want, state.engine ? state.engine.threads : 1));
}

function train(run, job) {
  requeueRun(run);
  saveRun(run);
  sendQueue([job]);
}

/** Resume: an interrupted run goes on from its last saved checkpoint (or from the start). */
export function resumeRun(run) {
  if (!canTrainNow() || run.status !== 'interrupted') return;
  leaveContinueMode();
  const threads = threadsNow(run);
  if (run.globalStep > 0) {
    train(run, { id: run.id, resume: true, threads });
  } else {
    // nothing was saved before its first epoch: the same settings give the same run
    train(run, { id: run.id, model: run.model, settings: { ...run.settings, threads } });
  }
}

/** Continue: the run's settings go into the form; Train then continues it. */
export function enterContinueMode(run) {
  if (state.training !== 'idle') return;
  const raw = rawFromConfig({ model: run.model, settings: run.settings }, DEFAULTS);
  raw.threads = readForm().threads;
  const planned = run.epochsPlanned || 1;
  raw.epochs = String(state.engine?.setEpochs ? Math.max(planned, run.epochsDone + 1) : planned);
  state.continueFrom = run.id;
  writeForm(raw);
  onFormChange();
  $('run-card').scrollIntoView({ block: 'nearest' });
  if (!$('f-epochs').disabled) $('f-epochs').focus({ preventScroll: true });
}

export function leaveContinueMode() {
  if (!state.continueFrom) return;
  state.continueFrom = null;
  updateControls();
}

/** The run Continue would train, while the form is in continue mode. */
export function continueTarget() {
  const run = state.continueFrom ? runById(state, state.continueFrom) : null;
  if (state.continueFrom && !run) state.continueFrom = null;
  return run;
}

/** Train button in continue mode. */
export function continueRun() {
  const run = continueTarget();
  if (!run) return;
  const v = validateForm();
  if (!v.ok || !canTrainNow() || v.values.epochs <= run.epochsDone) return;
  state.continueFrom = null;
  if (run.source === 'checkpoint') run.source = 'continued'; // from now on it has curves
  const epochs = state.engine?.setEpochs ? v.values.epochs : undefined; // else: its plan
  train(run, { id: run.id, resume: true, epochs, threads: threadsNow(run) });
  renderResults();
}

/**
 * Shows continue mode in the form and the Train panel (called by updateControls).
 * @returns {boolean} whether the start button may be pressed in continue mode
 */
export function showContinueMode() {
  const run = continueTarget();
  const free = freeFields();
  for (const el of $('settings').querySelectorAll('input, select')) {
    if (!free.has(el.name)) el.disabled = !!run;
  }
  $('continue-bar').hidden = !run;
  if (!run) return false;
  const v = state.lastValidation;
  const epochs = v && v.ok ? v.values.epochs : NaN;
  const ok = epochs > run.epochsDone;
  const planned = run.epochsPlanned || epochs;
  // OneCycle spreads its cycle over the plan: another plan gives the remaining steps other
  // learning rates (constant and step schedules go on exactly as a longer run would)
  const stretch = ok && epochs !== planned && run.settings?.schedule === 'onecycle'
    ? ` OneCycle is planned over ${planned} epochs: with ${epochs}, its learning rate for the remaining steps follows the ${epochs}-epoch cycle, so the result differs from continuing the ${planned}-epoch cycle.`
    : '';
  $('continue-text').textContent = ok
    ? `Continue ${run.label} from epoch ${run.epochsDone} to ${state.engine?.setEpochs ? '' : 'its planned '}${epochs}, with its own settings.${stretch}`
    : `${run.label} has trained ${run.epochsDone} epoch${run.epochsDone === 1 ? '' : 's'}: set Epochs higher to continue it.`;
  $('start').textContent = `Continue ${run.label}`;
  return ok;
}

$('continue-cancel').addEventListener('click', () => {
  leaveContinueMode();
  onFormChange();
});
