// Keeps the page's runs in IndexedDB (database 'normlab-runs', apart from the data set's):
// 'runs' holds each run's record (lib/run_records.js), 'checkpoints' the checkpoint of
// each run's last saved epoch ({id, step, bytes}). Every call returns a promise that fails
// with an Error whose message can be shown (quota exceeded, storage disabled, ...).

const DB_NAME = 'normlab-runs';
const RUNS = 'runs';
const CHECKPOINTS = 'checkpoints';

let dbPromise = null;
function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      if (typeof indexedDB === 'undefined') {
        reject(new Error('IndexedDB is not available in this browser'));
        return;
      }
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => {
        req.result.createObjectStore(RUNS, { keyPath: 'id' });
        req.result.createObjectStore(CHECKPOINTS, { keyPath: 'id' });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error || new Error('cannot open IndexedDB'));
      req.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
    });
    dbPromise.catch(() => { dbPromise = null; });
  }
  return dbPromise;
}

function describe(e) {
  if (e && e.name === 'QuotaExceededError') return new Error('the browser\'s storage for this page is full');
  return e instanceof Error ? e : new Error(e ? String(e.message || e) : 'IndexedDB transaction failed');
}

/** Runs fn(stores) in one transaction; resolves with what fn's last request gave. */
async function transact(mode, names, fn) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    let tx;
    try {
      tx = db.transaction(names, mode);
    } catch (e) {
      reject(describe(e));
      return;
    }
    let result;
    let req;
    try {
      req = fn(...names.map((n) => tx.objectStore(n)));
    } catch (e) { // e.g. a value that cannot be stored
      tx.abort();
      reject(describe(e));
      return;
    }
    if (req) req.onsuccess = () => { result = req.result; };
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(describe(tx.error || req?.error));
    tx.onabort = () => reject(describe(tx.error || new Error('IndexedDB transaction aborted')));
  });
}

/** Every saved run record. @returns {Promise<object[]>} */
export function loadRunRecords() {
  return transact('readonly', [RUNS], (runs) => runs.getAll());
}

/** The saved checkpoint of a run. @returns {Promise<{id: number, step: number, bytes: Uint8Array}|undefined>} */
export function loadCheckpoint(id) {
  return transact('readonly', [CHECKPOINTS], (c) => c.get(id));
}

/** Saves a run's record, and with it the checkpoint of its last epoch when given. */
export function saveRun(record, checkpoint) {
  return transact('readwrite', [RUNS, CHECKPOINTS], (runs, ckpts) => {
    if (checkpoint) ckpts.put({ id: record.id, step: checkpoint.step, bytes: checkpoint.bytes });
    return runs.put(record);
  });
}

/** Deletes a run and its checkpoint. */
export function deleteRun(id) {
  return transact('readwrite', [RUNS, CHECKPOINTS], (runs, ckpts) => {
    ckpts.delete(id);
    return runs.delete(id);
  });
}

/** Deletes every run and checkpoint. */
export function clearRuns() {
  return transact('readwrite', [RUNS, CHECKPOINTS], (runs, ckpts) => {
    ckpts.clear();
    return runs.clear();
  });
}
