// Fixed vectors (vectors.json): fixed keys and fixed randomness must give
// exactly the recorded sealed objects, both from src/ (WebCrypto) and from
// testlib/reference.js (node:crypto, written from docs/encryption.md), and
// the recorded objects must open to their text.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import {
  importPublicKey, sealPrivate, openPrivate, roomKey, sealRoom, openRoom, sealFile, openFile, safetyNumber,
} from '../src/seal.js';
import * as ref from '../testlib/reference.js';

const v = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url)));
const b64u = (hex) => Buffer.from(hex, 'hex').toString('base64url');

/** fixed hands out the given hex chunks, in order, as the random bytes. */
function fixed(...chunks) {
  const queue = chunks.map((h) => new Uint8Array(Buffer.from(h, 'hex')));
  return (n) => {
    const b = queue.shift();
    assert.equal(b?.length, n, 'the vector\'s randomness is consumed in the documented order');
    return b;
  };
}

/** device imports a vector device; the private key as a JWK (RFC 8037), for this test only. */
async function device(name) {
  const d = v.devices[name];
  const jwk = { kty: 'OKP', crv: 'X25519', d: b64u(d.private), x: b64u(d.public) };
  const privateKey = await crypto.subtle.importKey('jwk', jwk, { name: 'X25519' }, false, ['deriveBits']);
  return { ...(await importPublicKey(b64u(d.public))), privateKey };
}

const dev = {};
for (const name of Object.keys(v.devices)) dev[name] = await device(name);
const p = v.private;

test('the devices\' key ids', () => {
  for (const [name, d] of Object.entries(v.devices)) {
    assert.equal(dev[name].keyId, d.keyId, name);
    assert.equal(ref.keyId(d.public), d.keyId, name);
  }
});

test('X25519 of the RFC 7748 §6.1 keys gives its shared secret', async () => {
  const rfc = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
  const z = await crypto.subtle.deriveBits({ name: 'X25519', public: dev.bobPhone.publicKey }, dev.alicePhone.privateKey, 256);
  assert.equal(Buffer.from(z).toString('hex'), rfc);
  assert.equal(p.steps.wraps[v.devices.bobPhone.keyId].shared, rfc);
});

test('private message', async (t) => {
  const input = {
    text: p.text,
    sender: { name: p.sender, device: dev[p.senderDevice], devices: p.senderDevices.map((n) => dev[n]) },
    recipients: Object.entries(p.recipients).map(([name, ds]) => ({ name, devices: ds.map((n) => dev[n]) })),
  };
  await t.test('sealing with the fixed randomness gives the vector', async () => {
    const sealed = await sealPrivate(input, fixed(p.random.contentKey, p.random.nonce));
    assert.deepEqual(sealed, p.sealed);
  });
  await t.test('the reference implementation gives the vector and its steps', () => {
    const devices = Object.fromEntries(Object.keys(v.devices).map((n) => [v.devices[n].keyId, v.devices[n].public]));
    const r = ref.sealPrivate({ body: p.body, sender: p.sender, skid: v.devices[p.senderDevice].keyId,
      senderPriv: v.devices[p.senderDevice].private, devices, to: Object.keys(p.recipients),
      contentKey: p.random.contentKey, nonce: p.random.nonce });
    assert.deepEqual(r.sealed, p.sealed);
    assert.deepEqual(r.steps, p.steps);
  });
  const senderDevices = p.senderDevices.map((n) => dev[n]);
  await t.test('a sender that commits to another key than it used is caught', async () => {
    const devices = Object.fromEntries(Object.keys(v.devices).map((n) => [v.devices[n].keyId, v.devices[n].public]));
    const seal = (committedKey) => ref.sealPrivate({ body: p.body, sender: p.sender, skid: v.devices[p.senderDevice].keyId,
      senderPriv: v.devices[p.senderDevice].private, devices, to: ['bob'], contentKey: p.random.contentKey,
      nonce: p.random.nonce, committedKey }).sealed;
    const open = (s) => openPrivate(s, { me: { name: 'bob', device: dev.bobPhone }, sender: { name: p.sender, devices: senderDevices } });
    assert.deepEqual(await open(seal(p.random.contentKey)), { ok: true, text: p.text });
    assert.deepEqual(await open(seal('ff'.repeat(32))), { ok: false, reason: 'tampered' });
  });
  for (const [name, account] of [['bobPhone', 'bob'], ['alicePhone', 'alice'], ['aliceLaptop', 'alice']]) {
    await t.test(`${name} opens the vector`, async () => {
      const r = await openPrivate(structuredClone(p.sealed),
        { me: { name: account, device: dev[name] }, sender: { name: p.sender, devices: senderDevices } });
      assert.deepEqual(r, { ok: true, text: p.text });
    });
  }
});

test('room message with a file', async (t) => {
  const r = v.room;
  const key = await roomKey(r.passphrase, r.room);
  await t.test('the passphrase gives the key id', () => assert.equal(key.id, r.keyId));
  await t.test('the reference implementation gives the key and the vector', () => {
    const k = ref.roomKey(r.passphrase, r.room);
    assert.deepEqual({ salt: k.salt, master: k.master, key: k.key }, { salt: r.steps.salt, master: r.steps.master, key: r.steps.key });
    assert.equal(k.id, r.keyId);
    const s = ref.sealRoom({ body: r.body, key: k.key, id: k.id, room: r.room, sender: r.sender, nonce: r.random.nonce });
    assert.deepEqual(s.sealed, r.sealed);
    assert.equal(s.aad, r.steps.aad);
  });
  await t.test('sealing with the fixed nonce gives the vector', async () => {
    const s = await sealRoom({ text: r.text, file: r.file, key, room: r.room, sender: r.sender }, fixed(r.random.nonce));
    assert.deepEqual(s, r.sealed);
  });
  await t.test('opening the vector gives the text and the file', async () => {
    const o = await openRoom(structuredClone(r.sealed), { key, room: r.room, sender: r.sender });
    assert.deepEqual(o, { ok: true, text: r.text, file: r.file });
  });
});

test('file', async (t) => {
  const f = v.file;
  const plain = new Uint8Array(Buffer.from(f.plaintext, 'hex'));
  await t.test('sealing with the fixed key and nonce gives the vector', async () => {
    const s = await sealFile(plain, fixed(f.random.key, f.random.nonce));
    assert.equal(Buffer.from(s.ciphertext).toString('hex'), f.ciphertext);
    assert.deepEqual([s.key, s.nonce], [v.room.file.key, v.room.file.nonce]);
    assert.equal(ref.sealFile(f.plaintext, f.random.key, f.random.nonce), f.ciphertext);
  });
  await t.test('the key and nonce in the room vector open it', async () => {
    const o = await openFile(new Uint8Array(Buffer.from(f.ciphertext, 'hex')), v.room.file);
    assert.deepEqual(o, { ok: true, bytes: plain });
  });
});

test('safety number', async () => {
  const s = v.safetyNumber;
  const party = (x, enc) => ({ name: x.name, keys: x.devices.map((n) => enc(v.devices[n].public)) });
  assert.equal(await safetyNumber(party(s.a, b64u), party(s.b, b64u)), s.number);
  assert.equal(await safetyNumber(party(s.b, b64u), party(s.a, b64u)), s.number);
  assert.equal(ref.safetyNumber(party(s.a, (h) => h), party(s.b, (h) => h)), s.number);
});
