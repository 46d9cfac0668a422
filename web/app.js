// The playground page's entry point. The form's fields, ranges and defaults come from the
// engine's settings table (lib/settings.js loads it at start-up), so the panels start only
// once it is there (panels/main.js); without an engine the page says why and how to fix it.
import { schema, schemaError } from './lib/settings.js';

if (schema()) {
  await import('./panels/main.js');
} else {
  const why = schemaError() || 'unknown error';
  const banner = document.getElementById('banner-error');
  banner.textContent = `The Wasm engine (wasm/normlab.js) could not be loaded: ${why}. `
    + 'Build it with wasm_bindings/build.sh and serve the page with tools/serve.mjs.';
  banner.hidden = false;
  const badge = document.getElementById('engine-badge');
  badge.textContent = 'Engine failed';
  badge.className = 'badge bad';
  document.getElementById('start').disabled = true;
  document.getElementById('run-hint').textContent = 'The engine could not start (see the message above).';
}
