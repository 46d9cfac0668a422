// "Import a run": a metrics file (JSONL) from `normlab train --metrics-out` or
// tools/pytorch/train.py, with the run's .safetensors if there is one, becomes a run of the
// table and the charts beside the page's own (curves and table from the metrics; mistakes and
// confusion from the weights, evaluated on the page's data set). Files are checked in
// lib/run_import.js and the worker; a bad file gives a message under the table.
import { ImportError, fileKind, importedRun, parseMetrics, pickFiles } from '../lib/run_import.js';
import { addRun } from '../lib/run_state.js';
import { variantLabel } from '../lib/settings.js';
import { formatPct } from '../lib/format.js';
import { $, send, showMsg, state, toast } from './common.js';
import { renderAllRuns } from './results.js';
import { saveRun } from './saved_runs.js';

const MAX_METRICS_BYTES = 64 << 20;

/** Imports waiting for the worker to read their weights, by run id. */
const pending = new Map();

function fail(message) {
  $('toast').hidden = true;
  showMsg($('import-error'), message);
}

async function classify(file) {
  const head = new Uint8Array(await file.slice(0, 16).arrayBuffer());
  return { name: file.name, kind: fileKind(file.name, head), file };
}

function addImported(parsed, from, checkpoint) {
  const { model, settings, extra } = importedRun(parsed, from);
  const id = from.id !== undefined ? { id: from.id } : {}; // with weights: the worker's id
  const run = addRun(state, model, settings, { ...extra, ...id, label: `${variantLabel(model)} (imported)` });
  state.selectedRun = run.id;
  renderAllRuns();
  saveRun(run, checkpoint ? { step: 0, bytes: checkpoint } : undefined);
  const acc = run.finalEval ? `; its weights score ${formatPct(run.finalEval.acc)} on this page's test set` : '';
  toast(`Imported ${run.label}: ${run.epochsDone} epoch${run.epochsDone === 1 ? '' : 's'}${acc}`, 4000);
}

async function importFiles(files) {
  showMsg($('import-error'), '');
  if (state.restoring) return fail('The saved runs are still being restored: try again in a moment.');
  try {
    const picked = pickFiles(await Promise.all(files.map(classify)));
    const f = picked.metrics.file;
    if (f.size > MAX_METRICS_BYTES) throw new ImportError(`${f.name}: ${f.size} bytes is too large for a metrics file`);
    const parsed = parseMetrics(await f.text(), f.name);
    if (!picked.weights) {
      addImported(parsed, { metricsName: f.name });
      return;
    }
    if (!state.engine) throw new ImportError('the engine is not ready to read the weights yet');
    const id = state.nextId++;
    pending.set(id, { parsed, metricsName: f.name });
    toast(`Reading ${picked.weights.name}…`);
    send({ type: 'importWeights', id, file: picked.weights.file });
  } catch (e) {
    if (e instanceof ImportError) fail(`Import a run: ${e.message}`);
    else fail(`Import a run: the files could not be read (${e.message})`);
  }
}

/** The worker's 'weightsImported': the weights of a pending import, read and evaluated. */
export function onWeightsImported(m) {
  const p = pending.get(m.id);
  pending.delete(m.id);
  if (!p) return;
  const weights = { name: m.name, model: m.config.model, settings: m.config.settings, paramCount: m.paramCount, eval: m.eval };
  try {
    addImported(p.parsed, { id: m.id, metricsName: p.metricsName, weights }, m.checkpoint);
  } catch (e) {
    send({ type: 'dropCheckpoint', id: m.id });
    fail(`Import a run: ${e.message}`);
  }
}

/** The worker's 'importError': the weights could not be used. */
export function onImportError(m) {
  pending.delete(m.id);
  fail(`Import a run: ${m.message}`);
}

$('import-run').addEventListener('click', () => $('import-input').click());
$('import-input').addEventListener('change', (e) => {
  const files = [...e.target.files];
  e.target.value = '';
  if (files.length) importFiles(files);
});
