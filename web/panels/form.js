// The settings form (step 2) and its URL state: reading and writing the fields, inline
// validation messages, the shareable hash, "Reset to defaults" and "Copy link".
import {
  FIELDS, decodeHash, defaults, encodeHash, switchNorm, toApi, validate, variantLabel,
} from '../lib/settings.js';
import { formatPct } from '../lib/format.js';
import { $, DEFAULTS, DEFAULT_THREADS, ENGINE_THREADS, state, toast } from './common.js';
import { requestReport } from './network.js';
import { scheduleDraw } from './redraw.js';
import { updateControls } from './run.js';

const form = $('settings');

/** The form's raw values (strings and booleans). */
export function readForm() {
  const raw = {};
  for (const f of FIELDS) {
    if (f.key === 'norm') {
      raw.norm = form.querySelector('input[name="norm"]:checked')?.value || '';
    } else if (f.type === 'bool') {
      raw[f.key] = form.elements[f.key].checked;
    } else {
      raw[f.key] = form.elements[f.key].value;
    }
  }
  return raw;
}

/** Puts raw values into the form (keys left undefined keep their field). */
export function writeForm(raw) {
  for (const f of FIELDS) {
    const v = raw[f.key];
    if (v === undefined) continue;
    if (f.key === 'norm') {
      for (const r of form.querySelectorAll('input[name="norm"]')) r.checked = r.value === v;
    } else if (f.type === 'bool') {
      form.elements[f.key].checked = v === true;
    } else if (form.elements[f.key].tagName === 'SELECT') {
      const sel = form.elements[f.key];
      let ok = [...sel.options].some((o) => o.value === String(v));
      if (!ok && f.choices && f.type === 'num' && Number.isFinite(Number(v))) {
        // a run's value the form does not offer (e.g. 0.5 from the CLI): offer it
        sel.append(new Option(formatPct(Number(v), 0), String(v)));
        ok = true;
      }
      sel.value = ok ? String(v) : DEFAULTS[f.key];
    } else {
      form.elements[f.key].value = String(v);
    }
  }
}

export function validationContext() {
  return {
    maxThreads: state.engine ? state.engine.threads : ENGINE_THREADS,
    trainSize: state.data ? state.data.info.train : undefined,
  };
}

/** Validates the form as it is, shows the messages, and returns the validation. */
export function validateForm() {
  const v = validate(readForm(), validationContext());
  showValidation(v);
  return v;
}

/** Focuses the first invalid field. */
export function focusInvalid() {
  form.querySelector('.field.invalid input, .field.invalid select')?.focus();
}

function showValidation(v) {
  for (const el of form.querySelectorAll('.field[data-field]')) {
    const key = el.dataset.field;
    const msg = el.querySelector('.msg');
    const err = v.errors[key];
    const warn = v.warnings[key];
    el.classList.toggle('invalid', !!err);
    el.classList.toggle('warned', !err && !!warn);
    const input = el.querySelector('input[type="text"], select');
    if (input) input.setAttribute('aria-invalid', err ? 'true' : 'false');
    if (msg) {
      msg.textContent = err || warn || '';
      msg.className = `msg${err ? ' error' : warn ? ' warning' : ''}`;
      if (input && msg.textContent) {
        msg.id = msg.id || `msg-${key}`;
        input.setAttribute('aria-describedby', msg.id);
      }
    }
  }
}

/** The defaults for a norm on this machine (the URL leaves out what equals them). */
const defaultsFor = (norm) => defaults({ threads: DEFAULT_THREADS }, norm || 'bn');

function updateHash(raw) {
  // the norm is always said when it is not the page's default; the rest against its recipe
  const h = encodeHash(raw, { ...defaultsFor(raw.norm), norm: DEFAULTS.norm });
  const url = `${location.pathname}${location.search}${h ? `#${h}` : ''}`;
  if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(null, '', url);
}

/** The model the settings describe (BN when no normalization is picked). */
export function currentModel(v) {
  return toApi(v.values.norm ? v.values : { ...v.values, norm: 'bn' }).model;
}

/** Re-validates after any change; updates the hash (unless keepHash), the buttons and charts. */
export function onFormChange({ keepHash = false } = {}) {
  const raw = readForm();
  shownNorm = raw.norm;
  const v = validate(raw, validationContext());
  state.lastValidation = v;
  showValidation(v);
  if (v.ok && !keepHash) updateHash(raw);
  const norm = v.values.norm || 'bn';
  $('groups-field').classList.toggle('inactive', norm !== 'gn');
  $('start').textContent = v.values.norm ? `Train ${variantLabel(currentModel(v))}` : 'Train';
  // the tag follows the settings at once; the table follows when the worker's report arrives
  $('network-variant').textContent = variantLabel(currentModel(v));
  requestReport();
  updateControls();
  scheduleDraw('curves');
}

/** The form's start values: the defaults (of the link's norm), then the query string, then the hash. */
export function initForm() {
  const link = { ...decodeHash(location.search), ...decodeHash(location.hash) };
  const norm = ['bn', 'gn', 'ln'].includes(link.norm) ? link.norm : DEFAULTS.norm;
  writeForm({ ...defaultsFor(norm), ...link });
  onFormChange({ keepHash: true });
}

/** The norm the form showed before the latest change (for the per-norm recipe). */
let shownNorm = '';

/** Another norm picked: fields still at the old norm's default take the new norm's. */
function onNormPicked() {
  const raw = readForm();
  if (!raw.norm || raw.norm === shownNorm) return;
  writeForm(switchNorm(raw, shownNorm, raw.norm, { threads: DEFAULT_THREADS }));
}

/** The engine's help text of each setting, as the tooltip of its control. */
function setHelpTitles() {
  for (const f of FIELDS) {
    if (!f.help) continue;
    const help = f.help.charAt(0).toUpperCase() + f.help.slice(1);
    if (f.key === 'norm') {
      form.querySelector('[data-field="norm"] .segmented')?.setAttribute('title', help);
    } else if (form.elements[f.key]) {
      form.elements[f.key].title = help;
    }
  }
}
setHelpTitles();

function onEdit(e) {
  if (e.target && e.target.name === 'norm') onNormPicked();
  onFormChange();
}
form.addEventListener('input', onEdit);
form.addEventListener('change', onEdit);
form.addEventListener('submit', (e) => e.preventDefault());

$('reset').addEventListener('click', () => {
  writeForm(DEFAULTS);
  onFormChange();
});

$('copy-link').addEventListener('click', async () => {
  const raw = readForm();
  updateHash(raw);
  const link = location.href;
  try {
    await navigator.clipboard.writeText(link);
    toast('Link with these settings copied');
  } catch {
    toast(`Copy this link: ${link}`, 6000);
  }
});

window.addEventListener('hashchange', () => {
  if (state.training !== 'idle' || state.continueFrom) return; // the form shows a run's settings
  initForm();
});
