// End-to-end encryption for wschat, with nothing but WebCrypto
// (globalThis.crypto: browsers and Node 20). This module is the entry
// point: device keys and private messages are here; rooms, files and
// safety numbers are re-exported from their own modules. The format is
// specified in docs/encryption.md; section names below refer to it, to
// the W3C Web Cryptography API (WebCrypto), RFC 7748 (X25519) and
// RFC 5869 (HKDF).

import { encodeBody, parseBody, MAX_BODY } from './body.js';
import {
  boundedString, bytesOf, concat, encodedLength, fromBase64url, isRecord, list, randomBytes, sha256, str,
  toBase64url, utf8,
} from './encoding.js';

export { toBase64url, fromBase64url } from './encoding.js';
export { sealFile, openFile, MAX_FILE, FILE_ALG } from './files.js';
export { roomKey, sealRoom, openRoom, ROOM_ALG, ROOM_ITERATIONS } from './room.js';
export { safetyNumber } from './safety.js';
export { MAX_BODY };

/** VERSION is the format version every sealed object carries as v. */
export const VERSION = 1;
/** PRIVATE_ALG names the suite of sealed private messages. */
export const PRIVATE_ALG = 'X25519-HKDF-SHA256-A256GCM';
/** MAX_DEVICES bounds the devices one private message is sealed for. */
export const MAX_DEVICES = 64;
/** MAX_RECIPIENTS bounds the accounts one private message is addressed to. */
export const MAX_RECIPIENTS = 16;
/** MAX_NAME bounds an account or room name, in UTF-8 bytes. */
export const MAX_NAME = 128;

const X25519 = { name: 'X25519' };
const WRAP_NONCE = new Uint8Array(12); // each key-encryption key seals one key: see "Wrapping"
const TAG = 16;

/**
 * generateDeviceKey makes this device's X25519 key pair (WebCrypto
 * §X25519 Generate Key). The private key is not extractable: store the
 * CryptoKey itself (IndexedDB keeps it as it is). Returns { privateKey,
 * publicKey, raw, keyId }: raw is the 32-byte public key in base64url, to
 * publish; keyId names it (see keyId).
 */
export async function generateDeviceKey() {
  const { privateKey, publicKey } = await crypto.subtle.generateKey(X25519, false, ['deriveBits']);
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', publicKey));
  return { privateKey, publicKey, raw: toBase64url(raw), keyId: await keyId(raw) };
}

/**
 * importPublicKey reads a published public key (32 bytes in base64url,
 * RFC 7748 §5) into { publicKey, raw, keyId }, or returns null when it is
 * not one.
 */
export async function importPublicKey(raw) {
  const bytes = bytesOf(raw, 32);
  if (!bytes) return null;
  try {
    const publicKey = await crypto.subtle.importKey('raw', bytes, X25519, true, []);
    return { publicKey, raw, keyId: await keyId(bytes) };
  } catch {
    return null;
  }
}

/** keyId names a public key: base64url of the first 16 bytes of SHA-256 of its 32 raw bytes. */
export async function keyId(rawPublicKey) {
  return toBase64url((await sha256(rawPublicKey)).subarray(0, 16));
}

/**
 * sealPrivate seals text (and an optional file descriptor from sealFile,
 * with name, type, size and url added) from one device of sender.name to
 * every device of the recipients and every device of the sender's own
 * account, this one included, so that each can read it:
 *
 *   sealPrivate({ text, file?, sender: { name, device: { keyId, privateKey, publicKey },
 *     devices: [{ publicKey }] }, recipients: [{ name, devices: [{ publicKey }] }] })
 *
 * It returns the JSON-ready sealed object (docs/encryption.md, "Private
 * messages"). It throws on what its caller got wrong: names, too many
 * devices, a body over MAX_BODY. rng is for test vectors only.
 */
export async function sealPrivate({ text, file, sender, recipients }, rng = randomBytes) {
  const body = encodeBody(text, file);
  if (!boundedString(sender?.name, MAX_NAME)) throw new TypeError('sender.name must be a name');
  if (!Array.isArray(recipients) || recipients.some((r) => !boundedString(r?.name, MAX_NAME))) {
    throw new TypeError('recipients must be a list of { name, devices }');
  }
  const to = sortUnique(recipients.map((r) => r.name).filter((n) => n !== sender.name));
  if (to.length > MAX_RECIPIENTS) throw new RangeError(`at most ${MAX_RECIPIENTS} recipients`);
  const own = sender.device;
  if ((await keyId(await rawOf(own.publicKey))) !== own.keyId) throw new TypeError('sender.device.keyId is not its public key\'s');
  const devices = await byKeyId([own, ...(sender.devices ?? []), ...recipients.flatMap((r) => r.devices ?? [])]);
  if (devices.size > MAX_DEVICES) throw new RangeError(`at most ${MAX_DEVICES} devices`);

  const ck = rng(32);
  const nonce = rng(12);
  const kids = sortUnique([...devices.keys()]);
  const h = {
    alg: PRIVATE_ALG, sender: sender.name, skid: own.keyId, to, kids,
    kc: toBase64url(await commitment(ck)),
  };
  const aad = privateAAD(h);
  const ct = await aesGcm('encrypt', ck, nonce, aad, body);
  const wrapAAD = concat(aad, await sha256(ct));
  const keys = [];
  for (const kid of kids) {
    const kek = await wrappingKey(own.privateKey, devices.get(kid), nonce, own.keyId, kid);
    const wk = await crypto.subtle.encrypt({ name: 'AES-GCM', iv: WRAP_NONCE, additionalData: wrapAAD }, kek, ck);
    keys.push({ kid, wk: toBase64url(new Uint8Array(wk)) });
  }
  return {
    v: VERSION, alg: PRIVATE_ALG, sender: sender.name, skid: own.keyId, to,
    nonce: toBase64url(nonce), kc: h.kc, keys, ct: toBase64url(ct),
  };
}

/**
 * openPrivate opens a sealed private message on this device:
 *
 *   openPrivate(sealed, { me: { name, device: { keyId, privateKey } },
 *     sender: { name, devices: [{ publicKey }] } })
 *
 * sender is who the server says sent it, with that account's known
 * devices. Returns { ok: true, text, file? } or { ok: false, reason },
 * reason one of 'unsupported-version', 'malformed', 'not-for-this-device',
 * 'unknown-sender-key' or 'tampered'. Sizes are checked before any
 * cryptography; it never throws on what sealed holds.
 */
export async function openPrivate(sealed, { me, sender }) {
  if (!me?.device?.privateKey || typeof me.device.keyId !== 'string' || typeof me.name !== 'string') {
    throw new TypeError('me must be { name, device: { keyId, privateKey } }');
  }
  if (typeof sender?.name !== 'string' || !Array.isArray(sender.devices)) {
    throw new TypeError('sender must be { name, devices: [{ publicKey }] }');
  }
  try {
    const m = readPrivate(sealed);
    if (m.reason) return fail(m.reason);
    if (m.sender !== sender.name) return fail('tampered');
    const entry = m.keys.find((k) => k.kid === me.device.keyId);
    if (!entry || (me.name !== m.sender && !m.to.includes(me.name))) return fail('not-for-this-device');
    const senderKey = (await byKeyId(sender.devices, true)).get(m.skid);
    if (!senderKey) return fail('unknown-sender-key');
    return await decryptPrivate(m, entry, me.device, senderKey);
  } catch {
    return fail('malformed');
  }
}

/** decryptPrivate unwraps the content key for one device and decrypts the body. */
async function decryptPrivate(m, entry, device, senderKey) {
  let pt;
  try {
    const aad = privateAAD({ ...m, kids: m.keys.map((k) => k.kid) });
    const wrapAAD = concat(aad, await sha256(m.ct));
    const kek = await wrappingKey(device.privateKey, senderKey, m.nonce, m.skid, entry.kid);
    const ck = new Uint8Array(
      await crypto.subtle.decrypt({ name: 'AES-GCM', iv: WRAP_NONCE, additionalData: wrapAAD }, kek, entry.wk));
    if (toBase64url(await commitment(ck)) !== m.kc) return fail('tampered');
    pt = await aesGcm('decrypt', ck, m.nonce, aad, m.ct);
  } catch {
    return fail('tampered');
  }
  const body = parseBody(pt);
  return body ? { ok: true, ...body } : fail('malformed');
}

/**
 * readPrivate checks the shape and every size of a sealed private message
 * before any cryptography, and decodes its byte fields; it returns the
 * message or { reason }.
 */
function readPrivate(s) {
  if (!isRecord(s)) return { reason: 'malformed' };
  if (s.v !== VERSION) return { reason: Number.isInteger(s.v) ? 'unsupported-version' : 'malformed' };
  if (s.alg !== PRIVATE_ALG) return { reason: typeof s.alg === 'string' ? 'unsupported-version' : 'malformed' };
  const bad = { reason: 'malformed' };
  if (!boundedString(s.sender, MAX_NAME)) return bad;
  if (!Array.isArray(s.to) || s.to.length > MAX_RECIPIENTS) return bad;
  if (!s.to.every((n) => boundedString(n, MAX_NAME)) || !strictlySorted(s.to)) return bad;
  if (!Array.isArray(s.keys) || s.keys.length < 1 || s.keys.length > MAX_DEVICES) return bad;
  const keys = [];
  for (const k of s.keys) {
    const wk = isRecord(k) && bytesOf(k.kid, 16) && bytesOf(k.wk, 32 + TAG);
    if (!wk) return bad;
    keys.push({ kid: k.kid, wk });
  }
  if (!strictlySorted(keys.map((k) => k.kid))) return bad;
  const nonce = bytesOf(s.nonce, 12);
  const ct = typeof s.ct === 'string' && s.ct.length >= encodedLength(TAG) &&
    s.ct.length <= encodedLength(MAX_BODY + TAG) ? fromBase64url(s.ct) : null;
  if (!bytesOf(s.skid, 16) || !nonce || !bytesOf(s.kc, 32) || !ct) return bad;
  return { alg: s.alg, sender: s.sender, skid: s.skid, to: s.to, keys, nonce, kc: s.kc, ct };
}

/**
 * privateAAD is the additional data of the content and of every wrapped
 * key (docs/encryption.md, "Additional data"): it binds the version (in
 * the label), suite, sender, sender's key, recipients, the devices sealed
 * for, and the key commitment.
 */
function privateAAD({ alg, sender, skid, to, kids, kc }) {
  return concat(str('wschat-seal-v1 private'), str(alg), str(sender), str(skid), list(to), list(kids), str(kc));
}

/**
 * wrappingKey derives the key-encryption key between two devices:
 * X25519 (RFC 7748 §5, §6.1; WebCrypto §X25519 Derive Bits, which fails
 * on an all-zero secret), then HKDF-SHA256 (RFC 5869 §2.2-2.3; WebCrypto
 * §HKDF) with the message nonce as salt and both key ids in info, sender
 * first: either device computes the same key.
 */
async function wrappingKey(privateKey, publicKey, salt, skid, kid) {
  const z = await crypto.subtle.deriveBits({ name: 'X25519', public: publicKey }, privateKey, 256);
  const ikm = await crypto.subtle.importKey('raw', z, 'HKDF', false, ['deriveKey']);
  const info = concat(str('wschat-seal-v1 wrap'), str(skid), str(kid));
  return crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt, info }, ikm,
    { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

/** commitment binds the message to its one content key: SHA-256(str(label) || key). */
function commitment(ck) {
  return sha256(concat(str('wschat-seal-v1 commit'), ck));
}

/** aesGcm encrypts or decrypts with a raw 256-bit key (WebCrypto §AES-GCM, 128-bit tag). */
async function aesGcm(op, rawKey, iv, additionalData, data) {
  const k = await crypto.subtle.importKey('raw', rawKey, 'AES-GCM', false, [op]);
  return new Uint8Array(await crypto.subtle[op]({ name: 'AES-GCM', iv, additionalData }, k, data));
}

/** rawOf exports a public key's 32 raw bytes (WebCrypto §X25519 Export Key). */
async function rawOf(publicKey) {
  return new Uint8Array(await crypto.subtle.exportKey('raw', publicKey));
}

/**
 * byKeyId maps devices' key ids, computed from their public keys, to the
 * keys. lenient skips what is not an X25519 public key instead of
 * throwing, for directories that hold something else.
 */
async function byKeyId(devices, lenient = false) {
  const m = new Map();
  for (const d of devices) {
    try {
      if (d?.publicKey?.algorithm?.name !== 'X25519' || d.publicKey.type !== 'public') throw new TypeError('not an X25519 public key');
      m.set(await keyId(await rawOf(d.publicKey)), d.publicKey);
    } catch (err) {
      if (!lenient) throw err;
    }
  }
  return m;
}

/** compareUtf8 orders strings by their UTF-8 bytes (the same as by code points). */
function compareUtf8(a, b) {
  const x = utf8(a);
  const y = utf8(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}

function sortUnique(names) {
  return [...new Set(names)].sort(compareUtf8);
}

function strictlySorted(names) {
  return names.every((n, i) => i === 0 || compareUtf8(names[i - 1], n) < 0);
}

function fail(reason) {
  return { ok: false, reason };
}
