// The built-in CIFAR-10 sample (assets/cifar-10-sample.tar.gz, made by tools/make_sample.py):
// the page trains on it when neither the server nor the browser has the full set, e.g. on a
// static host, and says plainly that it is a sample and how to get the full set. The worker
// loads it like a data set from the server ('loadServer'); this module finds it, asks for it,
// and labels it. The page calls it at three places (marked "page hook: sample data" in app.js).

export const FULL_SET_PAGE = 'https://www.cs.toronto.edu/~kriz/cifar.html';
const MANIFEST = 'cifar-10-sample.json';
// assets/ beside the page (tools/serve.mjs, or assets/ copied into the deployed web/), or one
// level up (the repository deployed as it is, the page at web/index.html).
const BASES = ['assets/', '../assets/'];

const sample = {
  hooks: null, // {send, setLoading, showNone}
  manifest: null, // cifar-10-sample.json once found
  url: null, // absolute URL of the archive
  requested: false, // loaded automatically once per page view
  loadingName: null, // the archive name while a load of the sample is under way
};

const fmt = (n) => Number(n).toLocaleString('en-US');

/**
 * Looks for the sample's manifest next to the page, then one level up.
 * @param {(url: string) => Promise<Response>} [fetchFn] @param {string} [pageUrl]
 * @returns {Promise<{manifest: object, url: string} | null>} null: no sample on this host
 */
export async function findSample(fetchFn = (u) => fetch(u, { cache: 'no-cache' }), pageUrl = location.href) {
  for (const base of BASES) {
    const url = new URL(base + MANIFEST, pageUrl).href;
    try {
      const res = await fetchFn(url);
      if (!res.ok) continue;
      const m = await res.json();
      if (!m || typeof m.file !== 'string' || !/^[\w.-]+\.tar\.gz$/.test(m.file) || !(m.train > 0) || !(m.test > 0)) continue;
      return { manifest: m, url: new URL(m.file, url).href };
    } catch {
      // not there (or not JSON): try the next place
    }
  }
  return null;
}

/** The worker message that loads the sample (the same path as a data set from the server). */
export function loadMessage(manifest, url) {
  return { type: 'loadServer', kind: 'targz', name: manifest.file, files: [{ name: manifest.file, url, size: manifest.bytes || 0 }] };
}

/** What the data card says about the sample: what it is, and how to get the full set. */
export function sampleText(info, manifest) {
  const per = manifest && manifest.trainPerClass ? ` (${fmt(manifest.trainPerClass)} + ${fmt(manifest.testPerClass)} per class)` : '';
  return `Built-in sample of CIFAR-10: ${fmt(info.train)} training and ${fmt(info.test)} test images${per}, `
    + 'not the full set (50,000 + 10,000), so accuracies stay well below those on the full set. '
    + 'For the full set, run bash tools/run.sh with network access (it downloads it once), or get '
    + 'cifar-10-binary.tar.gz (162 MB) from ';
}

async function requestSample() {
  const h = sample.hooks;
  h.setLoading(true, 'Looking for the built-in CIFAR-10 sample…');
  const found = sample.manifest ? { manifest: sample.manifest, url: sample.url } : await findSample();
  if (!found) {
    h.showNone({ sampleMissing: true });
    return;
  }
  sample.manifest = found.manifest;
  sample.url = found.url;
  sample.loadingName = found.manifest.file;
  h.setLoading(true, `Loading the built-in CIFAR-10 sample (${fmt(found.manifest.train)} + ${fmt(found.manifest.test)} images)…`);
  h.send(loadMessage(found.manifest, found.url));
}

/**
 * page hook: once at start. send posts to the worker; setLoading(on, text) shows the loading
 * state; showNone(msg) shows the empty data card (app.js's onNoDataset).
 */
export function initSampleData(hooks) {
  sample.hooks = hooks;
  const button = document.getElementById('data-sample');
  if (button) button.addEventListener('click', () => requestSample());
}

/**
 * page hook: first thing in onNoDataset(m). Loads the sample instead of showing the empty
 * card, once per page view, unless the user just forgot a data set or there is an error to
 * show. Returns true when it took over (the caller returns).
 */
export function sampleInsteadOfNothing(m) {
  const offer = document.getElementById('sample-offer');
  if (offer) offer.hidden = !!(m && m.sampleMissing);
  if (!sample.hooks || sample.requested || !m || m.forgotten || m.reason || m.sampleMissing) return false;
  sample.requested = true;
  requestSample();
  return true;
}

/**
 * page hook: end of onDataset(m). If the data set is the sample, says so on the data card and
 * the badge, and marks it (state.data.sample, <html data-dataset-kind>).
 */
export function labelSample(m, data) {
  const isSample = m.source === 'server' && sample.loadingName !== null && m.name === sample.loadingName;
  document.documentElement.dataset.datasetKind = isSample ? 'sample' : 'full';
  if (!isSample) return;
  if (data) data.sample = true;
  const src = document.getElementById('data-source');
  if (src) {
    const link = document.createElement('a');
    link.href = FULL_SET_PAGE;
    link.target = '_blank';
    link.rel = 'noopener';
    link.textContent = 'cs.toronto.edu';
    src.replaceChildren(sampleText(m.info, sample.manifest), link, ' and drop it on this card.');
  }
  const badge = document.getElementById('data-badge');
  if (badge) {
    badge.textContent = `CIFAR-10 sample · ${fmt(m.info.train)} + ${fmt(m.info.test)} images`;
    badge.className = 'badge warn';
    badge.title = 'A small built-in sample of CIFAR-10, not the full data set';
  }
}
