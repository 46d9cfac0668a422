// The network panel: the layer table (output shape, parameters, receptive field) of the
// model the settings describe, and the parameter budget bar. The worker computes the table.
import { variantLabel } from '../lib/settings.js';
import { formatInt } from '../lib/format.js';
import { $, PARAM_BUDGET, send, showMsg, state } from './common.js';
import { currentModel } from './form.js';

let reportTimer = 0;
/** Asks the worker for the table of the current settings' model (once per model). */
export function requestReport() {
  if (!state.engine) return;
  const v = state.lastValidation;
  if (!v) return;
  const model = currentModel(v);
  const key = JSON.stringify(model);
  if (key === state.reportKey) return;
  state.reportKey = key;
  clearTimeout(reportTimer);
  reportTimer = setTimeout(() => send({ type: 'report', key, model }), 60);
}

function normText(op, norm, groups, c) {
  if (!/\+(bn|gn|ln)/.test(op)) return '–';
  if (norm === 'bn') return 'BN · per channel, over batch';
  if (norm === 'ln') return `LN · 1 group of ${c} ch`;
  const g = groups > 0 ? groups : c % 8 === 0 ? c / 8 : c / 4;
  return `GN · ${g} groups of ${c / g} ch`;
}

/** The worker's 'report' message. */
export function onReport(m) {
  if (m.key !== state.reportKey) return;
  const body = $('network-body');
  const err = $('network-error');
  if (m.error) {
    body.replaceChildren();
    showMsg(err, m.error);
    return;
  }
  err.hidden = true;
  state.report = m.report;
  const model = JSON.parse(m.key);
  $('network-variant').textContent = variantLabel(model);
  const rows = m.report.layers.map((l) => {
    const tr = document.createElement('tr');
    const cells = [
      [l.name, ''],
      [l.op, 'muted'],
      [normText(l.op, model.norm, model.groups || 0, l.out.c), 'muted'],
      [`${l.out.c}×${l.out.h}×${l.out.w}`, 'num'],
      [l.params ? formatInt(l.params) : '0', 'num'],
      [`${l.rf.k} / ${l.rf.s} / ${l.rf.p}`, 'num muted'],
      [String(l.rf.j), 'num'],
      [`${l.rf.r}×${l.rf.r}`, 'num'],
    ];
    for (const [text, cls] of cells) {
      const td = document.createElement('td');
      td.textContent = text;
      if (cls) td.className = cls;
      tr.append(td);
    }
    return tr;
  });
  const total = document.createElement('tr');
  total.className = 'total';
  total.innerHTML = '<td>Total</td><td></td><td></td><td></td><td class="num"></td><td></td><td></td><td></td>';
  total.children[4].textContent = formatInt(m.report.total);
  rows.push(total);
  body.replaceChildren(...rows);
  $('param-total').textContent = formatInt(m.report.total);
  const bar = $('budget-bar');
  bar.style.width = `${Math.min(100, (100 * m.report.total) / PARAM_BUDGET)}%`;
  bar.classList.toggle('over', m.report.total > PARAM_BUDGET);
}
