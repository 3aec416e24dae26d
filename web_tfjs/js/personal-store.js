// The personal head in the browser's IndexedDB (this origin only; it never leaves the tab):
// one record, the head file's object (personal-data.js headToObject), under one key.
const DB = 'emoji-fer';
const STORE = 'personal';
const KEY = 'head';

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(mode, action) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = action(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

// The saved head's object, or undefined if none is saved.
export const loadHead = () => run('readonly', (store) => store.get(KEY));
export const saveHead = (object) => run('readwrite', (store) => store.put(object, KEY));
export const deleteHead = () => run('readwrite', (store) => store.delete(KEY));
