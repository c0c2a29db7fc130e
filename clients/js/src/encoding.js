// Byte encodings shared by the sealed formats (docs/encryption.md,
// "Encodings"): base64url without padding, UTF-8, and the length-prefixed
// strings and lists that additional data, HKDF info and salts are built of.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUE = new Map([...ALPHABET].map((c, i) => [c, i]));

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/** toBase64url encodes bytes as base64url without padding (RFC 4648 §5). */
export function toBase64url(bytes) {
  let out = '';
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] + ALPHABET[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63];
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63];
  }
  return out;
}

/**
 * fromBase64url decodes unpadded base64url (RFC 4648 §5), or returns null
 * when s is not a string, has a character outside the alphabet, padding,
 * an impossible length, or non-zero trailing bits (RFC 4648 §3.5): each
 * byte string has exactly one accepted spelling.
 */
export function fromBase64url(s) {
  if (typeof s !== 'string' || s.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (const c of s) {
    const v = VALUE.get(c);
    if (v === undefined) return null;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) return null;
  return out;
}

/** encodedLength is the number of base64url characters that n bytes encode to. */
export function encodedLength(n) {
  return Math.ceil((n * 4) / 3);
}

/** utf8 encodes a string as UTF-8. */
export function utf8(s) {
  return encoder.encode(s);
}

/** fromUtf8 decodes UTF-8, or returns null when the bytes are not UTF-8. */
export function fromUtf8(bytes) {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return null;
  }
}

/** concat joins byte arrays. */
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** u16 is n as two bytes, big-endian. */
function u16(n) {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`${n} does not fit in 16 bits`);
  return Uint8Array.of(n >> 8, n & 0xff);
}

/** str is the length-prefixed UTF-8 of s: u16be(byte length) || UTF-8(s). */
export function str(s) {
  const b = utf8(s);
  return concat(u16(b.length), b);
}

/** list is u16be(count) followed by str() of each item, in order. */
export function list(items) {
  return concat(u16(items.length), ...items.map(str));
}

/** sha256 is SHA-256 of bytes (WebCrypto §SHA). */
export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

/** randomBytes is n bytes from the platform's CSPRNG (WebCrypto §Crypto.getRandomValues). */
export function randomBytes(n) {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** isRecord reports whether v is a non-array object, as JSON.parse makes for {...}. */
export function isRecord(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * boundedString reports whether v is a string of min (1 unless told) to
 * max UTF-8 bytes, with no lone surrogate (which UTF-8 cannot carry, so
 * two such names could encode alike). The cheap UTF-16 length check comes
 * first, so a huge string is never encoded.
 */
export function boundedString(v, max, min = 1) {
  if (typeof v !== 'string' || v.length > max || /\p{Surrogate}/u.test(v)) return false;
  const n = utf8(v).length;
  return n >= min && n <= max;
}

/** bytesOf decodes a base64url field that must hold exactly n bytes, or returns null. */
export function bytesOf(v, n) {
  if (typeof v !== 'string' || v.length !== encodedLength(n)) return null;
  return fromBase64url(v);
}
