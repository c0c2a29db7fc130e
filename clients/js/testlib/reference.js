// A second, deliberately plain implementation of the sealed format v1,
// written from docs/encryption.md with node:crypto (not WebCrypto) and
// Buffer (not the module's own encoders). The vector test checks that it
// and src/ produce the same bytes, so that the document, the vectors and
// the code can only change together.

import {
  createCipheriv, createHash, createPrivateKey, createPublicKey, diffieHellman, hkdfSync, pbkdf2Sync,
} from 'node:crypto';

const hex = (h) => Buffer.from(h, 'hex');
const b64u = (b) => Buffer.from(b).toString('base64url');
const sha256 = (b) => createHash('sha256').update(b).digest();

/** str: u16be(byte length) || UTF-8. */
export function str(s) {
  const b = Buffer.from(s, 'utf8');
  const n = Buffer.alloc(2);
  n.writeUInt16BE(b.length);
  return Buffer.concat([n, b]);
}

/** list: u16be(count) || str(item)... */
export function list(items) {
  const n = Buffer.alloc(2);
  n.writeUInt16BE(items.length);
  return Buffer.concat([n, ...items.map(str)]);
}

export function keyId(pubHex) {
  return b64u(sha256(hex(pubHex)).subarray(0, 16));
}

/** x25519 is RFC 7748 §5's function of a private scalar and a public u-coordinate, both hex. */
export function x25519(privHex, pubHex) {
  const privateKey = createPrivateKey({
    key: Buffer.concat([hex('302e020100300506032b656e04220420'), hex(privHex)]), format: 'der', type: 'pkcs8',
  });
  const publicKey = createPublicKey({
    key: Buffer.concat([hex('302a300506032b656e032100'), hex(pubHex)]), format: 'der', type: 'spki',
  });
  return diffieHellman({ privateKey, publicKey });
}

function gcm(key, iv, aad, plaintext) {
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad);
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

/**
 * sealPrivate follows "Private messages", step by step, and returns the
 * sealed object with what it computed on the way. committedKey, when
 * given, is committed to in kc instead of the content key: a dishonest
 * sender, for the tests.
 */
export function sealPrivate({ body, sender, skid, senderPriv, devices, to, contentKey, nonce, committedKey = contentKey }) {
  const ck = hex(contentKey);
  const n = hex(nonce);
  const kids = Object.keys(devices).sort(); // key ids are ASCII: code-unit order is byte order
  const kc = b64u(sha256(Buffer.concat([str('wschat-seal-v1 commit'), hex(committedKey)])));
  const alg = 'X25519-HKDF-SHA256-A256GCM';
  const aad = Buffer.concat([str('wschat-seal-v1 private'), str(alg), str(sender), str(skid), list(to), list(kids), str(kc)]);
  const ct = gcm(ck, n, aad, Buffer.from(body, 'utf8'));
  const wrapAAD = Buffer.concat([aad, sha256(ct)]);
  const wraps = {};
  const keys = kids.map((kid) => {
    const shared = x25519(senderPriv, devices[kid]);
    const info = Buffer.concat([str('wschat-seal-v1 wrap'), str(skid), str(kid)]);
    const kek = Buffer.from(hkdfSync('sha256', shared, n, info, 32));
    wraps[kid] = { shared: shared.toString('hex'), kek: kek.toString('hex') };
    return { kid, wk: b64u(gcm(kek, Buffer.alloc(12), wrapAAD, ck)) };
  });
  const sealed = { v: 1, alg, sender, skid, to, nonce: b64u(n), kc, keys, ct: b64u(ct) };
  return { sealed, steps: { aad: aad.toString('hex'), ctHash: sha256(ct).toString('hex'), wraps } };
}

/** roomKey follows "Rooms": PBKDF2, then two HKDF outputs. */
export function roomKey(passphrase, room) {
  const salt = Buffer.concat([str('wschat-seal-v1 room salt'), str(room)]);
  const master = pbkdf2Sync(Buffer.from(passphrase.normalize('NFC'), 'utf8'), salt, 600000, 32, 'sha256');
  const key = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), str('wschat-seal-v1 room key'), 32));
  const id = b64u(Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), str('wschat-seal-v1 room id'), 16)));
  return { salt: salt.toString('hex'), master: master.toString('hex'), key: key.toString('hex'), id };
}

/** sealRoom follows "Rooms" with a key from roomKey. */
export function sealRoom({ body, key, id, room, sender, nonce }) {
  const alg = 'PBKDF2-SHA256-A256GCM';
  const aad = Buffer.concat([str('wschat-seal-v1 room'), str(alg), str(room), str(sender), str(id)]);
  const ct = gcm(hex(key), hex(nonce), aad, Buffer.from(body, 'utf8'));
  return { sealed: { v: 1, alg, sender, kid: id, nonce: b64u(hex(nonce)), ct: b64u(ct) }, aad: aad.toString('hex') };
}

/** sealFile follows "Files". */
export function sealFile(plaintextHex, key, nonce) {
  return gcm(hex(key), hex(nonce), str('wschat-seal-v1 file'), hex(plaintextHex)).toString('hex');
}

/** safetyNumber follows "Safety numbers"; a party is { name, keys: [hex] }. */
export function safetyNumber(a, b) {
  const half = ({ name, keys }) => {
    const sorted = [...new Set(keys)].sort(); // lower-case hex sorts as its bytes
    const count = Buffer.alloc(2);
    count.writeUInt16BE(sorted.length);
    const kb = Buffer.concat([count, ...sorted.map(hex)]);
    let h = createHash('sha512').update(Buffer.concat([str('wschat-seal-v1 safety'), kb, str(name), kb])).digest();
    for (let i = 1; i < 5200; i++) h = createHash('sha512').update(Buffer.concat([h, kb])).digest();
    let digits = '';
    for (let i = 0; i < 30; i += 5) digits += String(h.readUIntBE(i, 5) % 100000).padStart(5, '0');
    return digits;
  };
  const [x, y] = [half(a), half(b)].sort();
  return (x + y).match(/\d{5}/g).join(' ');
}
