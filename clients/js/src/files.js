// Files in encrypted conversations and rooms (docs/encryption.md,
// "Files"): the browser encrypts a file with a fresh key before it is
// uploaded, and that key travels only inside the sealed message that
// announces the file.

import { bytesOf, randomBytes, str, toBase64url } from './encoding.js';

/** MAX_FILE is the largest file sealFile takes, in bytes. */
export const MAX_FILE = 256 << 20;

/** FILE_ALG names the file suite: AES-256-GCM with a single-use key. */
export const FILE_ALG = 'A256GCM';

const TAG = 16;
const AAD = str('wschat-seal-v1 file');

/**
 * sealFile encrypts bytes (a Uint8Array of at most MAX_FILE bytes) with a
 * new random AES-256-GCM key (WebCrypto §AES-GCM). It returns
 * { ciphertext: Uint8Array, key, nonce } (key and nonce in base64url):
 * upload the ciphertext, and put key and nonce in the sealed message's
 * file. rng is for test vectors only.
 */
export async function sealFile(bytes, rng = randomBytes) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('sealFile takes a Uint8Array');
  if (bytes.length > MAX_FILE) throw new RangeError(`a sealed file is at most ${MAX_FILE} bytes`);
  const key = rng(32);
  const nonce = rng(12);
  const k = await crypto.subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt']);
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: AAD }, k, bytes);
  return { ciphertext: new Uint8Array(ct), key: toBase64url(key), nonce: toBase64url(nonce) };
}

/**
 * openFile decrypts a downloaded file with the key and nonce its sealed
 * message gave. It returns { ok: true, bytes } or { ok: false, reason }
 * with reason 'malformed' (bad key, nonce or size) or 'tampered' (the
 * bytes are not what was sealed with that key); it never throws.
 */
export async function openFile(ciphertext, { key, nonce } = {}) {
  const k = bytesOf(key, 32);
  const n = bytesOf(nonce, 12);
  if (!(ciphertext instanceof Uint8Array) || !k || !n) return { ok: false, reason: 'malformed' };
  if (ciphertext.length < TAG || ciphertext.length > MAX_FILE + TAG) return { ok: false, reason: 'malformed' };
  try {
    const ck = await crypto.subtle.importKey('raw', k, 'AES-GCM', false, ['decrypt']);
    const pt = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: n, additionalData: AAD }, ck, ciphertext);
    return { ok: true, bytes: new Uint8Array(pt) };
  } catch {
    return { ok: false, reason: 'tampered' };
  }
}
