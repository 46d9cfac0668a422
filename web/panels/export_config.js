// "Config JSON": the form's settings as the complete run configuration (every setting,
// defaults filled in by the engine, as `normlab config` prints it), for
// `normlab train --config` and tools/pytorch/train.py, when a run outgrows the tab.
import { toConfig } from '../lib/settings.js';
import { downloadBlob } from '../charts.js';
import { $, send, state, toast } from './common.js';
import { focusInvalid, validateForm } from './form.js';

$('export-config').addEventListener('click', () => {
  if (!state.engine) return;
  const v = validateForm();
  if (!v.ok) {
    focusInvalid();
    toast('Fix the settings marked in red first.');
    return;
  }
  send({ type: 'exportConfig', config: toConfig(v.values) });
});

/** The worker's 'config': the resolved configuration, to download. */
export function onConfig(m) {
  if (m.error) {
    toast(`Config JSON: ${m.error}`, 4000);
    return;
  }
  // the thread count belongs to the machine that trains (0 = every core there)
  const c = { ...m.config, threads: 0 };
  downloadBlob(new Blob([`${JSON.stringify(c, null, 2)}\n`], { type: 'application/json' }), `normlab-config-${c.norm}.json`);
}
