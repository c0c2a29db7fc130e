// What encryption keeps in this browser, in IndexedDB, which stores a
// WebCrypto key as it is: a non-extractable private key stays usable
// here and cannot be read out. Per account (by its name in lower case):
//   device:NAME        this browser's device key { privateKey, publicKey, raw, keyId }
//   seen:NAME:OTHER    the key ids of OTHER's devices last accepted, sorted
//   room:NAME:ROOM     a room's key from its passphrase { id, key }

const DB = 'wschat-e2ee';
const STORE = 'kv';

let opening = null;

/** db opens the database once. */
function db() {
  opening ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return opening;
}

/** run runs one request on the store and resolves with its result. */
async function run(mode, f) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const tx = d.transaction(STORE, mode);
    const req = f(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(req.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

/** get reads what is kept under k, or undefined. */
export const get = (k) => run('readonly', (s) => s.get(k));

/** put keeps v under k. */
export const put = (k, v) => run('readwrite', (s) => s.put(v, k));

/** keyOf is the store's key for what of the account name is kept under kind, and the rest. */
export const keyOf = (kind, name, ...rest) => [kind, name.toLowerCase(), ...rest.map((r) => r.toLowerCase())].join(':');
