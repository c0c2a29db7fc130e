// End-to-end encryption in the page (docs/encryption.md). With tokens
// (accounts, or a token from another service), this browser has a
// device key of its own for the account, made once and kept in
// IndexedDB, its private half never extractable, and published in the
// key directory. Private messages are sealed for every device of both
// accounts; a room whose passphrase the person gave is sealed under the
// room's key. The page's other modules call in through small hooks:
// inbound.js opens what arrives, outbound.js seals what goes, files.js
// encrypts files, panel.js shows safety numbers, the warning when
// someone's keys changed, and the passphrase form.

import { generateDeviceKey } from '/seal/seal.js';
import { auth } from '../auth.js';
import { get, put, keyOf } from './store.js';
import { publish } from './directory.js';

/** What encryption knows now, for the account the page is in. */
export const e2ee = {
  name: '', // the account the state is for
  device: null, // this browser's { privateKey, publicKey, raw, keyId }, once ready
  failed: '', // why this browser cannot encrypt, if it cannot
  encrypted: new Set(), // the rooms, in lower case, the server says are encrypted
  roomKeys: new Map(), // room in lower case → { id, key }
};

let starting = null;

/** active reports whether the page encrypts: only where names are accounts. */
export const active = () => auth.mode !== 'none' && auth.token !== '';

/**
 * ready makes sure this browser has its device key for the account
 * name, published; it resolves with the device, or null when the
 * browser cannot (no X25519 in its WebCrypto, say), saying why in
 * e2ee.failed.
 */
export function ready(name) {
  if (!active()) return Promise.resolve(null);
  if (e2ee.name.toLowerCase() !== name.toLowerCase()) {
    Object.assign(e2ee, { name, device: null, failed: '', encrypted: new Set(), roomKeys: new Map() });
    starting = null;
  }
  starting ??= start(name);
  return starting;
}

/** start loads or makes the device key, publishes it, and loads the room keys kept. */
async function start(name) {
  try {
    let device = await get(keyOf('device', name));
    if (!device) {
      device = await generateDeviceKey();
      await put(keyOf('device', name), device);
    }
    await publish(device);
    e2ee.device = device;
    return device;
  } catch (err) {
    e2ee.failed = `this browser cannot encrypt: ${err?.message || err}`;
    starting = null; // tried again with the next message
    return null;
  }
}

/** roomKeyOf returns the key kept for room, or null. */
export async function roomKeyOf(room) {
  const r = room.toLowerCase();
  if (!e2ee.roomKeys.has(r)) {
    const k = await get(keyOf('room', e2ee.name, r));
    if (k) e2ee.roomKeys.set(r, k);
  }
  return e2ee.roomKeys.get(r) ?? null;
}

/** keepRoomKey keeps a room's key, made from its passphrase, for this account in this browser. */
export async function keepRoomKey(room, key) {
  await put(keyOf('room', e2ee.name, room), key);
  e2ee.roomKeys.set(room.toLowerCase(), key);
}

/** seenKeys returns the key ids of other's devices last accepted, or null if none were. */
export async function seenKeys(other) {
  return (await get(keyOf('seen', e2ee.name, other))) ?? null;
}

/** acceptKeys records other's devices as accepted. */
export async function acceptKeys(other, ids) {
  await put(keyOf('seen', e2ee.name, other), [...ids].sort());
}
