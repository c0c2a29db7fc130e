// The key directory on the server (PUT and GET under /api/keys): this
// device publishes its public key there, and the page reads the devices
// of whoever it seals for or opens from. Answers are kept a short while,
// so that a conversation does not ask for every message.

import { importPublicKey } from '/seal/seal.js';
import { auth } from '../auth.js';

const FRESH_MS = 30_000; // how long a list of devices is taken as current

const cache = new Map(); // name in lower case → { at, devices }

/** call makes an authenticated request of the directory. */
async function call(method, path, body) {
  const resp = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${auth.token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    cache: 'no-store',
  });
  const answer = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new Error(answer.error || `the key directory answered ${resp.status}`);
  return answer;
}

/** publish puts this device's public key in the directory under the account. */
export async function publish(device) {
  await call('PUT', `/api/keys/${encodeURIComponent(device.keyId)}`, { key: device.raw });
  cache.delete(auth.name.toLowerCase());
}

/**
 * devicesOf returns name's devices, each { keyId, raw, publicKey }, sorted
 * by key id; fresh asks the server again. A key that is not one, or whose
 * id is not what the server says, is left out: ids are computed here.
 */
export async function devicesOf(name, fresh = false) {
  const k = name.toLowerCase();
  const kept = cache.get(k);
  if (!fresh && kept && Date.now() - kept.at < FRESH_MS) return kept.devices;
  const answer = await call('GET', `/api/keys/${encodeURIComponent(name)}`);
  const devices = [];
  for (const d of Array.isArray(answer.devices) ? answer.devices : []) {
    const key = await importPublicKey(d?.key);
    if (key && key.keyId === d.id) devices.push({ keyId: key.keyId, raw: key.raw, publicKey: key.publicKey });
  }
  devices.sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0));
  cache.set(k, { at: Date.now(), devices });
  return devices;
}
