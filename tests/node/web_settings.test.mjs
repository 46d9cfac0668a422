// The page's settings module: built from the engine's settings table (ranges, defaults,
// help), validation messages, conversion to the configuration JSON, URL state.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  FIELDS, FIELD_BY_KEY, SCHEDULE_NAMES, configFromView, decodeHash, defaults, encodeHash, parseNumber, rawFromConfig,
  roundFloat, setSchema, switchNorm, toApi, toConfig, validate, variantLabel, viewFromConfig,
} from '../../web/lib/settings.js';
import { loadNormLab } from './support_wasm.mjs';

// the page loads the table from the module at start-up; here, from the Node build
const nl = await loadNormLab('st', 1);
const SCHEMA = nl.schema();
const FULL = nl.resolveConfig({ norm: 'gn', seed: '4000000000' });
nl.close();
setSchema(SCHEMA);
const DEFS = defaults({ threads: 4 });

test('the defaults are valid and are the core defaults (OneCycle to 0.1, L2 5e-4, crop + flip)', () => {
  const v = validate(DEFS, { maxThreads: 4 });
  assert.equal(v.ok, true, JSON.stringify(v.errors));
  assert.deepEqual(v.warnings, {});
  const { model, settings } = toApi(v.values);
  assert.deepEqual(model, { norm: 'bn' });
  assert.deepEqual(settings, {
    epochs: 20, batch: 128, schedule: 'onecycle', maxLr: 0.1, l1: 0, l2: 0.0005,
    augCrop: 4, augFlip: true, augCutout: 0, seed: '1', trainFraction: 1, threads: 4,
  });
  assert.deepEqual(toConfig(v.values), {
    norm: 'bn', epochs: 20, batch: 128, schedule: 'onecycle', max_lr: 0.1, l1: 0, l2: 0.0005,
    crop: 4, flip: true, cutout: 0, seed: '1', train_fraction: 1, threads: 4,
  });
});

test('ranges, options, defaults and help come from the engine\'s table', () => {
  const byName = Object.fromEntries(SCHEMA.fields.map((f) => [f.name, f]));
  for (const f of FIELDS) {
    const s = byName[f.name];
    assert.ok(s, f.name);
    assert.equal(f.help, s.help);
    if (f.type === 'int' || f.type === 'num') {
      assert.equal(f.min, s.min, f.key);
      assert.equal(f.max, s.max, f.key);
      assert.equal(!!f.minOpen, s.min_open, f.key);
    }
    if (f.key === 'schedule' || f.key === 'norm') assert.deepEqual(f.options, s.options);
  }
  assert.equal(FIELD_BY_KEY.batch.max, 4096);
  // per-norm defaults: each norm's form defaults are that norm's column of the table
  for (const norm of ['bn', 'gn', 'ln']) {
    const d = defaults({ threads: 2 }, norm);
    assert.equal(d.norm, norm);
    assert.equal(d.maxLr, String(byName.max_lr.defaults[norm]));
    assert.equal(d.epochs, String(byName.epochs.defaults[norm]));
  }
  assert.match(SCHEDULE_NAMES.step, /x0\.1 every 8 epochs/);
  // a table with another GN learning rate: picking GN gives it
  const other = structuredClone(SCHEMA);
  other.fields.find((f) => f.name === 'max_lr').defaults.gn = 0.05;
  setSchema(other);
  try {
    assert.equal(defaults({}, 'gn').maxLr, '0.05');
    assert.equal(defaults({}, 'bn').maxLr, '0.1');
  } finally {
    setSchema(SCHEMA);
  }
});

test('configurations: the engine\'s JSON <-> the page\'s run objects', () => {
  const view = viewFromConfig(FULL);
  assert.equal(view.model.norm, 'gn');
  assert.equal(view.model.groupSize, 8);
  assert.equal(view.settings.maxLr, FULL.max_lr);
  assert.equal(view.settings.augCrop, FULL.crop);
  assert.equal(view.settings.seed, '4000000000');
  const back = configFromView(view);
  assert.deepEqual(back, Object.fromEntries(Object.entries(FULL).filter(([k]) => k !== 'format' && k !== 'version')));
  assert.throws(() => configFromView({ settings: { learningRate: 1 } }), /unknown setting 'learningRate'/);
  const r = rawFromConfig(FULL, DEFS);
  assert.equal(r.norm, 'gn');
  assert.equal(r.seed, '4000000000');
  assert.equal(r.maxLr, String(FULL.max_lr));
});

test('numbers: scientific notation, signs, decimal commas and junk', () => {
  assert.deepEqual(parseNumber('5e-4'), { value: 0.0005 });
  assert.deepEqual(parseNumber(' .05 '), { value: 0.05 });
  assert.deepEqual(parseNumber('1.'), { value: 1 });
  assert.match(parseNumber('').error, /Required/);
  assert.match(parseNumber('   ').error, /Required/);
  assert.match(parseNumber('0,05').error, /dot.*0\.05/);
  assert.match(parseNumber('abc').error, /not a number/);
  assert.match(parseNumber('1e999').error, /too large/);
  assert.match(parseNumber('0x10').error, /not a number/);
  assert.match(parseNumber('NaN').error, /not a number/);
  assert.match(parseNumber('Infinity').error, /not a number/);
});

test('invalid settings give one clear message per field and never throw', () => {
  const raw = {
    ...DEFS, maxLr: '-0.1', epochs: '', batch: '12.5', l2: '1', l1: '-1', seed: 'abc', threads: '9',
    norm: 'xx', groups: '3', schedule: 'cosine', augFlip: 'maybe',
  };
  const v = validate(raw, { maxThreads: 4 });
  assert.equal(v.ok, false);
  assert.match(v.errors.maxLr, /negative/);
  assert.match(v.errors.epochs, /Required/);
  assert.match(v.errors.batch, /whole number/);
  assert.match(v.errors.l2, /less than 1/);
  assert.match(v.errors.l1, /negative/);
  assert.match(v.errors.seed, /whole number/);
  assert.match(v.errors.threads, /0\.\.4/);
  assert.match(v.errors.norm, /bn, gn, ln/);
  assert.match(v.errors.groups, /Choose/);
  assert.match(v.errors.schedule, /onecycle/);
  assert.match(v.errors.augFlip, /on\/off/);
  // every value type at every field: no exception
  for (const f of FIELDS) {
    for (const bad of [undefined, null, {}, [], 'x'.repeat(1000), '\u0000', 1e308, -0, NaN, true]) {
      assert.doesNotThrow(() => validate({ ...DEFS, [f.key]: bad }, {}));
    }
  }
});

test('ranges: zero LR is invalid, LR 10 is allowed with a warning, LR above 10 is not', () => {
  assert.match(validate({ ...DEFS, maxLr: '0' }).errors.maxLr, /greater than 0/);
  const v10 = validate({ ...DEFS, maxLr: '10' }, { maxThreads: 4 });
  assert.equal(v10.ok, true);
  assert.match(v10.warnings.maxLr, /diverge/);
  assert.match(validate({ ...DEFS, maxLr: '10.5' }).errors.maxLr, /at most 10/);
  assert.match(validate({ ...DEFS, epochs: '0' }).errors.epochs, /1\.\.1000/);
  assert.match(validate({ ...DEFS, epochs: '50' }, { maxThreads: 4 }).warnings.epochs, /long time/);
  assert.match(validate({ ...DEFS, batch: '5000' }).errors.batch, /1\.\.4096/);
  assert.match(validate({ ...DEFS, batch: '512' }, { maxThreads: 4 }).warnings.batch, /memory/);
  assert.match(validate({ ...DEFS, batch: '256' }, { maxThreads: 4, trainSize: 100 }).errors.batch, /Larger than the training set \(100/);
  assert.match(validate({ ...DEFS, threads: '2' }, { maxThreads: 1 }).errors.threads, /not cross-origin isolated/);
  assert.equal(validate({ ...DEFS, seed: '18446744073709551615' }, { maxThreads: 4 }).ok, true);
  assert.match(validate({ ...DEFS, seed: '18446744073709551616' }).errors.seed, /2\^64/);
  assert.equal(validate({ ...DEFS, seed: '007' }, { maxThreads: 4 }).values.seed, '7');
});

test('toApi: GN groups only for GN, toggles become the core sizes, Compare overrides the norm', () => {
  const v = validate({ ...DEFS, norm: 'gn', groups: '4', augCrop: false, augCutout: false }, { maxThreads: 4 }).values;
  assert.deepEqual(toApi(v).model, { norm: 'gn', groups: 4 });
  assert.equal(toApi(v).settings.augCrop, 0);
  assert.equal(toApi(v).settings.augCutout, 0);
  assert.deepEqual(toApi(v, 'ln').model, { norm: 'ln' });
  assert.deepEqual(toApi(v, 'bn').model, { norm: 'bn' });
  assert.deepEqual(toApi({ ...v, groups: '0' }).model, { norm: 'gn' });
});

test('variant labels', () => {
  assert.equal(variantLabel({ norm: 'bn' }), 'BN');
  assert.equal(variantLabel({ norm: 'ln' }), 'LN');
  assert.equal(variantLabel({ norm: 'gn', groups: 4 }), 'GN (4 groups)');
  assert.equal(variantLabel({ norm: 'gn' }), 'GN (8 ch/group)');
  assert.equal(variantLabel({ norm: 'gn', groups: 0, groupSize: 8 }), 'GN (8 ch/group)');
  assert.equal(variantLabel({}), 'BN');
});

test('URL hash: only non-default values, round trip, unknown keys ignored', () => {
  assert.equal(encodeHash(DEFS, DEFS), '');
  const raw = { ...DEFS, norm: 'gn', groups: '4', maxLr: '0.2', l1: '1e-5', augFlip: false, seed: '42' };
  const h = encodeHash(raw, DEFS);
  assert.equal(h, 'norm=gn&groups=4&lr=0.2&l1=1e-5&flip=0&seed=42');
  const back = { ...DEFS, ...decodeHash(`#${h}&bogus=1&__proto__=x`) };
  assert.deepEqual(back, raw);
  assert.deepEqual(decodeHash('?epochs=3&crop=off&cutout=true'), { epochs: '3', augCrop: false, augCutout: true });
  assert.deepEqual(decodeHash(''), {});
  assert.deepEqual(decodeHash('#'), {});
  // invalid values survive so the form can show their message
  const bad = decodeHash('#lr=-1&epochs=&flip=maybe');
  assert.deepEqual(bad, { maxLr: '-1', epochs: '', augFlip: 'maybe' });
  assert.match(validate({ ...DEFS, ...bad }).errors.maxLr, /negative/);
  // malformed percent-encoding is skipped, long values are cut
  assert.deepEqual(decodeHash('#lr=%E0%A4%A&seed=1'), { seed: '1' });
  assert.equal(decodeHash(`#seed=${'9'.repeat(100)}`).seed.length, 40);
  // threads are machine-specific (and do not change results): not in links
  assert.equal(encodeHash({ ...DEFS, threads: '1' }, DEFS), '');
  assert.deepEqual(decodeHash('#threads=64&epochs=2'), { epochs: '2' });
  // encoded characters
  assert.equal(encodeHash({ ...DEFS, seed: '1 2' }, DEFS), 'seed=1%202');
});

test('settings from a checkpoint config fill the form', () => {
  const cfg = {
    model: { norm: 'gn', groups: 4, groupSize: 8 },
    settings: { epochs: 3, batch: 64, schedule: 'step', maxLr: 0.0500000007, l1: 0, l2: 0.000500000024, augCrop: 0, augFlip: true, augCutout: 8, seed: 9 },
  };
  const r = rawFromConfig(cfg, DEFS);
  assert.equal(r.norm, 'gn');
  assert.equal(r.groups, '4');
  assert.equal(r.maxLr, '0.05');
  assert.equal(r.l2, '0.0005');
  assert.equal(r.augCrop, false);
  assert.equal(r.schedule, 'step');
  assert.equal(validate(r, { maxThreads: 4 }).ok, true);
  assert.equal(roundFloat(0.100000001), 0.1);
});

test('picking another norm: fields still at the old norm\'s default take the new norm\'s (per-norm recipe)', () => {
  const other = structuredClone(SCHEMA);
  other.fields.find((f) => f.name === 'max_lr').defaults.gn = 0.05;
  other.fields.find((f) => f.name === 'epochs').defaults.gn = 30;
  other.fields.find((f) => f.name === 'l2').defaults.gn = 0.001;
  setSchema(other);
  try {
    const bn = defaults({ threads: 4 }, 'bn');
    // the user changed the epochs (and typed 0.10 for the default LR): the epochs stay
    const raw = { ...bn, epochs: '7', maxLr: '0.10', threads: '2' };
    const gn = switchNorm(raw, 'bn', 'gn', { threads: 4 });
    assert.equal(gn.norm, 'gn');
    assert.equal(gn.maxLr, '0.05');
    assert.equal(gn.l2, '0.001');
    assert.equal(gn.epochs, '7');
    assert.equal(gn.threads, '2'); // machine-specific: left alone
    assert.equal(gn.batch, bn.batch);
    // back to BN: GN defaults become BN's again, the user's value stays
    const back = switchNorm(gn, 'gn', 'bn', { threads: 4 });
    assert.deepEqual(back, { ...raw, maxLr: '0.1' });
    // no norm picked before: BN's recipe is the old one
    assert.equal(switchNorm({ ...bn, norm: '' }, '', 'gn').maxLr, '0.05');
  } finally {
    setSchema(SCHEMA);
  }
});

test('quick mode: the training fraction is a setting of the form, the configuration and the URL', () => {
  const f = FIELD_BY_KEY.trainFraction;
  assert.equal(f.name, 'train_fraction');
  assert.deepEqual(f.choices, ['0.1', '0.25', '1']);
  assert.equal(DEFS.trainFraction, '1');
  const raw = { ...DEFS, trainFraction: '0.25' };
  const v = validate(raw, { maxThreads: 4 });
  assert.equal(v.ok, true);
  assert.equal(toConfig(v.values).train_fraction, 0.25);
  assert.equal(toApi(v.values).settings.trainFraction, 0.25);
  assert.equal(configFromView(toApi(v.values)).train_fraction, 0.25);
  assert.equal(encodeHash(raw, DEFS), 'frac=0.25');
  assert.deepEqual(decodeHash('#frac=0.1'), { trainFraction: '0.1' });
  assert.match(validate({ ...DEFS, trainFraction: '0' }).errors.trainFraction, /greater than 0/);
  assert.ok(validate({ ...DEFS, trainFraction: '1.5' }).errors.trainFraction);
  // a float32 0.1 from a run's configuration shows as 0.1
  assert.equal(rawFromConfig({ train_fraction: 0.10000000149011612 }, DEFS).trainFraction, '0.1');
});

test('model levers: order, weight standardisation and zero-init skips in the form, the configuration and the URL', () => {
  // from the engine's table: an enum and two toggles; the tuned defaults (issue 15) are
  // ReLU -> norm and weight standardisation for every norm, zero-init skips off
  assert.deepEqual(FIELD_BY_KEY.order.options, ['norm_relu', 'relu_norm']);
  assert.equal(FIELD_BY_KEY.weightStd.type, 'bool');
  assert.equal(FIELD_BY_KEY.zeroInitSkip.type, 'bool');
  assert.equal(DEFS.order, 'relu_norm');
  assert.equal(DEFS.weightStd, true);
  assert.equal(DEFS.zeroInitSkip, false);
  assert.match(FIELD_BY_KEY.weightStd.help, /sqrt\(var \+ 1e-5\)/);
  // away from the defaults: they reach the configuration and the run's model
  const GN = defaults({ threads: 4 }, 'gn');
  const plain = validate({ ...GN, order: 'norm_relu', weightStd: false }, { maxThreads: 4 });
  assert.equal(plain.ok, true, JSON.stringify(plain.errors));
  assert.equal(toConfig(plain.values).order, 'norm_relu');
  assert.equal(toConfig(plain.values).weight_std, false);
  assert.deepEqual(toApi(plain.values).model, { norm: 'gn', order: 'norm_relu', weightStd: false });
  const raw = { ...GN, order: 'relu_norm', weightStd: true, zeroInitSkip: true };
  const v = validate(raw, { maxThreads: 4 });
  assert.equal(v.ok, true, JSON.stringify(v.errors));
  const c = toConfig(v.values); // the levers at the norm's defaults are left to the engine
  assert.equal(c.order, undefined);
  assert.equal(c.weight_std, undefined);
  assert.equal(c.zero_init_skip, true);
  assert.deepEqual(toApi(v.values).model, { norm: 'gn', zeroInitSkip: true });
  // zero-init skips under norm -> ReLU: one message on that field, as the core says
  const bad = validate({ ...raw, order: 'norm_relu' }, { maxThreads: 4 });
  assert.equal(bad.ok, false);
  assert.deepEqual(Object.keys(bad.errors), ['zeroInitSkip']);
  assert.match(bad.errors.zeroInitSkip, /Needs order ReLU → norm/);
  assert.match(validate({ ...DEFS, order: 'relu' }).errors.order, /norm_relu, relu_norm/);
  // URL: short names, round trip (only what differs from the norm's defaults)
  const h = encodeHash(raw, GN);
  assert.equal(h, 'zskip=1');
  assert.deepEqual({ ...GN, ...decodeHash(`#${h}`) }, raw);
  const hp = encodeHash({ ...GN, order: 'norm_relu', weightStd: false }, GN);
  assert.equal(hp, 'order=norm_relu&ws=0');
  assert.deepEqual({ ...GN, ...decodeHash(`#${hp}`) }, { ...GN, order: 'norm_relu', weightStd: false });
  // a checkpoint's configuration (flat, or a run's view) fills the form
  const r = rawFromConfig({ ...FULL, order: 'relu_norm', weight_std: true, zero_init_skip: false }, DEFS);
  assert.equal(r.order, 'relu_norm');
  assert.equal(r.weightStd, true);
  assert.equal(r.zeroInitSkip, false);
  const rv = rawFromConfig(toApi(v.values), DEFS);
  assert.equal(rv.order, 'relu_norm');
  assert.equal(rv.zeroInitSkip, true);
});
