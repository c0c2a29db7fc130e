// Encrypted rooms (docs/encryption.md, "Rooms"): every member derives
// the same key from a passphrase shared out of band and the room's name,
// and seals each message under it.

import { encodeBody, parseBody, MAX_BODY } from './body.js';
import {
  boundedString, bytesOf, concat, encodedLength, fromBase64url, isRecord, randomBytes, str, toBase64url, utf8,
} from './encoding.js';

/** ROOM_ALG names the suite of sealed room messages. */
export const ROOM_ALG = 'PBKDF2-SHA256-A256GCM';
/**
 * ROOM_ITERATIONS is PBKDF2's count: OWASP's 2023 figure for
 * PBKDF2-HMAC-SHA256. It costs well under a second once per room and
 * session in a browser, and every guess of an attacker holding the
 * ciphertext costs the same.
 */
export const ROOM_ITERATIONS = 600_000;

const MAX_NAME = 128;
const MAX_PASSPHRASE = 1024;
const TAG = 16;
const EMPTY = new Uint8Array(0);

/**
 * roomKey derives a room's key from its passphrase (normalised to NFC,
 * 1 to 1024 UTF-8 bytes) and its name: PBKDF2-HMAC-SHA256 (WebCrypto
 * §PBKDF2) with a salt made of a fixed label and the room name, then
 * HKDF-SHA256 (RFC 5869; WebCrypto §HKDF) into a non-extractable
 * AES-256-GCM key and a public key id. Returns { id, key }; keep it for
 * the session, as each call costs ROOM_ITERATIONS.
 */
export async function roomKey(passphrase, room) {
  if (typeof passphrase !== 'string' || !boundedString(passphrase.normalize('NFC'), MAX_PASSPHRASE)) {
    throw new TypeError(`a passphrase is 1 to ${MAX_PASSPHRASE} bytes`);
  }
  if (!boundedString(room, MAX_NAME)) throw new TypeError('room must be a room name');
  const subtle = crypto.subtle;
  const pw = await subtle.importKey('raw', utf8(passphrase.normalize('NFC')), 'PBKDF2', false, ['deriveBits']);
  const salt = concat(str('wschat-seal-v1 room salt'), str(room));
  const master = await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: ROOM_ITERATIONS }, pw, 256);
  const ikm = await subtle.importKey('raw', master, 'HKDF', false, ['deriveKey', 'deriveBits']);
  const key = await subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: EMPTY, info: str('wschat-seal-v1 room key') },
    ikm, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  const id = await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: EMPTY, info: str('wschat-seal-v1 room id') },
    ikm, 128);
  return { id: toBase64url(new Uint8Array(id)), key };
}

/**
 * sealRoom seals text (and an optional file descriptor) under a room key
 * from roomKey, as sender in room:
 *
 *   sealRoom({ text, file?, key, room, sender })
 *
 * It returns the JSON-ready sealed object. rng is for test vectors only.
 */
export async function sealRoom({ text, file, key, room, sender }, rng = randomBytes) {
  const body = encodeBody(text, file);
  if (!boundedString(room, MAX_NAME) || !boundedString(sender, MAX_NAME)) throw new TypeError('room and sender must be names');
  if (!key?.key || bytesOf(key.id, 16) === null) throw new TypeError('key must come from roomKey');
  const nonce = rng(12);
  const additionalData = roomAAD(room, sender, key.id);
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData }, key.key, body);
  return {
    v: 1, alg: ROOM_ALG, sender, kid: key.id, nonce: toBase64url(nonce), ct: toBase64url(new Uint8Array(ct)),
  };
}

/**
 * openRoom opens a sealed room message with the room's key, where room
 * and sender are the room it arrived in and who the server says sent it:
 *
 *   openRoom(sealed, { key, room, sender })
 *
 * Returns { ok: true, text, file? } or { ok: false, reason }, reason one
 * of 'unsupported-version', 'malformed', 'wrong-passphrase' (sealed under
 * another key) or 'tampered'. It never throws on what sealed holds.
 */
export async function openRoom(sealed, { key, room, sender }) {
  if (!key?.key || typeof key.id !== 'string' || typeof room !== 'string' || typeof sender !== 'string') {
    throw new TypeError('openRoom needs { key, room, sender }');
  }
  try {
    const s = sealed;
    if (!isRecord(s)) return fail('malformed');
    if (s.v !== 1) return fail(Number.isInteger(s.v) ? 'unsupported-version' : 'malformed');
    if (s.alg !== ROOM_ALG) return fail(typeof s.alg === 'string' ? 'unsupported-version' : 'malformed');
    const nonce = bytesOf(s.nonce, 12);
    const ct = typeof s.ct === 'string' && s.ct.length >= encodedLength(TAG) &&
      s.ct.length <= encodedLength(MAX_BODY + TAG) ? fromBase64url(s.ct) : null;
    if (!boundedString(s.sender, MAX_NAME) || !bytesOf(s.kid, 16) || !nonce || !ct) return fail('malformed');
    if (s.sender !== sender) return fail('tampered');
    if (s.kid !== key.id) return fail('wrong-passphrase');
    let pt;
    try {
      const additionalData = roomAAD(room, s.sender, s.kid);
      pt = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: nonce, additionalData }, key.key, ct));
    } catch {
      return fail('tampered');
    }
    const body = parseBody(pt);
    return body ? { ok: true, ...body } : fail('malformed');
  } catch {
    return fail('malformed');
  }
}

/** roomAAD binds the version (in the label), suite, room, sender and key id (docs/encryption.md, "Additional data"). */
function roomAAD(room, sender, kid) {
  return concat(str('wschat-seal-v1 room'), str(ROOM_ALG), str(room), str(sender), str(kid));
}

function fail(reason) {
  return { ok: false, reason };
}
