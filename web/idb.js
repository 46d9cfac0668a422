// Keeps the user's CIFAR-10 files in IndexedDB so that a reload does not ask for them again.
// One record: {kind: 'targz'|'tar'|'batches', name, size, savedAt, blobs: Blob[]}.

const DB_NAME = 'normlab';
const STORE = 'dataset';
const KEY = 'current';

function openDb() {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') {
      reject(new Error('IndexedDB is not available in this browser'));
      return;
    }
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error || new Error('cannot open IndexedDB'));
    req.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
  });
}

async function withStore(mode, fn) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const store = tx.objectStore(STORE);
      let result;
      const req = fn(store);
      req.onsuccess = () => { result = req.result; };
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error || req.error);
      tx.onabort = () => reject(tx.error || new Error('IndexedDB transaction aborted'));
    });
  } finally {
    db.close();
  }
}

/** @returns {Promise<{kind: string, name: string, size: number, savedAt: number, blobs: Blob[]}|undefined>} */
export function loadSavedDataset() {
  return withStore('readonly', (s) => s.get(KEY));
}

/** @param {{kind: string, name: string, size: number, blobs: Blob[]}} rec */
export function saveDataset(rec) {
  return withStore('readwrite', (s) => s.put({ ...rec, savedAt: Date.now() }, KEY));
}

export function forgetDataset() {
  return withStore('readwrite', (s) => s.delete(KEY));
}
