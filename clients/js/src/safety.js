// Safety numbers (docs/encryption.md, "Safety numbers"): a short
// fingerprint of two accounts and all their devices' keys, the same
// whichever side computes it, that two people compare out of band. It
// follows the design of Signal's numeric fingerprint: per party, 5200
// rounds of SHA-512 over its keys, the first 30 bytes read as six 5-digit
// numbers; the two halves in sorted order.

import { concat, fromBase64url, str } from './encoding.js';

const ROUNDS = 5200;
const MAX_KEYS = 64;

/**
 * safetyNumber is the safety number of a conversation between a and b,
 * each { name, keys: [raw public keys in base64url] } (every device of
 * the account): 60 digits in 12 groups of 5, separated by spaces. It
 * changes when any key of either side is added, removed or replaced. It
 * throws when a key is not 32 bytes or a side has none, or more than 64.
 */
export async function safetyNumber(a, b) {
  const halves = [await half(a), await half(b)].sort();
  return (halves[0] + halves[1]).match(/\d{5}/g).join(' ');
}

/** half is one party's 30 digits. */
async function half({ name, keys }) {
  if (typeof name !== 'string' || !Array.isArray(keys) || keys.length < 1 || keys.length > MAX_KEYS) {
    throw new TypeError(`a party is { name, keys } with 1 to ${MAX_KEYS} keys`);
  }
  const kb = keyBlock(keys);
  let h = await sha512(concat(str('wschat-seal-v1 safety'), kb, str(name), kb));
  for (let i = 1; i < ROUNDS; i++) h = await sha512(concat(h, kb));
  let digits = '';
  for (let i = 0; i < 30; i += 5) {
    // A 5-byte big-endian number, which fits a double exactly.
    const n = h.subarray(i, i + 5).reduce((acc, byte) => acc * 256 + byte, 0);
    digits += String(n % 100000).padStart(5, '0');
  }
  return digits;
}

/** keyBlock is u16be(count) followed by the distinct 32-byte keys in ascending byte order. */
function keyBlock(keys) {
  const raw = new Map();
  for (const k of keys) {
    const b = fromBase64url(k);
    if (!b || b.length !== 32) throw new TypeError('a key is 32 bytes in base64url');
    raw.set(k, b);
  }
  const sorted = [...raw.values()].sort(compareBytes);
  return concat(Uint8Array.of(sorted.length >> 8, sorted.length & 0xff), ...sorted);
}

function compareBytes(x, y) {
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return 0;
}

async function sha512(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-512', bytes));
}
