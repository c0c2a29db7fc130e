// The plaintext inside every sealed message (docs/encryption.md, "The
// body"): a JSON object with the text and, when the message announces a
// file, what the reader needs to fetch and decrypt it.

import { boundedString, bytesOf, fromUtf8, isRecord, utf8 } from './encoding.js';
import { MAX_FILE } from './files.js';

/** MAX_BODY bounds the UTF-8 JSON body of one sealed message, in bytes. */
export const MAX_BODY = 32 << 10;

const MAX_FILE_NAME = 255;
const MAX_FILE_TYPE = 127;
const MAX_FILE_URL = 2048;

/**
 * encodeBody is the UTF-8 JSON body for text and an optional file
 * descriptor { name, type, size, url, key, nonce }. It throws on what
 * its caller got wrong: a missing text, a bad file, a body over MAX_BODY.
 */
export function encodeBody(text, file) {
  if (typeof text !== 'string') throw new TypeError('text must be a string');
  const body = { text };
  if (file !== undefined) {
    const f = cleanFile(file);
    if (!f) throw new TypeError('file needs name, type, size, url, and the key and nonce sealFile returned');
    body.file = f;
  }
  const bytes = utf8(JSON.stringify(body));
  if (bytes.length > MAX_BODY) throw new RangeError(`a sealed message is at most ${MAX_BODY} bytes of JSON`);
  return bytes;
}

/**
 * parseBody reads a decrypted body: { text, file? }, or null when it is
 * not UTF-8 JSON of that shape. Members it does not know are left out.
 */
export function parseBody(bytes) {
  const s = bytes.length <= MAX_BODY ? fromUtf8(bytes) : null;
  if (s === null) return null;
  let v;
  try {
    v = JSON.parse(s);
  } catch {
    return null;
  }
  if (!isRecord(v) || typeof v.text !== 'string') return null;
  if (v.file === undefined) return { text: v.text };
  const file = cleanFile(v.file);
  return file ? { text: v.text, file } : null;
}

/** cleanFile copies a valid file descriptor, member by member, or returns null. */
function cleanFile(f) {
  if (!isRecord(f)) return null;
  const ok =
    boundedString(f.name, MAX_FILE_NAME) &&
    boundedString(f.type, MAX_FILE_TYPE, 0) &&
    Number.isSafeInteger(f.size) && f.size >= 0 && f.size <= MAX_FILE &&
    boundedString(f.url, MAX_FILE_URL) &&
    bytesOf(f.key, 32) !== null &&
    bytesOf(f.nonce, 12) !== null;
  if (!ok) return null;
  return { name: f.name, type: f.type, size: f.size, url: f.url, key: f.key, nonce: f.nonce };
}
