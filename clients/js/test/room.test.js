// Encrypted rooms, files, and safety numbers.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  roomKey, sealRoom, openRoom, sealFile, openFile, safetyNumber, generateDeviceKey, MAX_BODY,
} from '../src/seal.js';
import { str } from '../testlib/reference.js';
import { mutations, REASONS } from '../testlib/mutate.js';

// Each roomKey costs 600 000 PBKDF2 rounds: derive each key once.
const lobby = await roomKey('blue canary at dawn', 'lobby');
const lobbyWrong = await roomKey('blue canary at dusk', 'lobby');
const kitchen = await roomKey('blue canary at dawn', 'kitchen');

const flip = (b64, i) => {
  const b = Buffer.from(b64, 'base64url');
  b[(i + b.length) % b.length] ^= 0x80;
  return b.toString('base64url');
};

test('rooms', async (t) => {
  const sealed = await sealRoom({ text: 'agenda: keys', key: lobby, room: 'lobby', sender: 'alice' });
  const open = (s, opts = {}) => openRoom(s, { key: lobby, room: 'lobby', sender: 'alice', ...opts });

  await t.test('a member with the passphrase reads it', async () => {
    assert.deepEqual(await open(sealed), { ok: true, text: 'agenda: keys' });
    assert.deepEqual(Object.keys(sealed), ['v', 'alg', 'sender', 'kid', 'nonce', 'ct']);
    assert.ok(!JSON.stringify(sealed).includes('agenda'));
  });
  await t.test('the key cannot leave the page', async () => {
    assert.equal(lobby.key.extractable, false);
    await assert.rejects(crypto.subtle.exportKey('raw', lobby.key));
  });
  await t.test('a wrong passphrase', async () => {
    assert.deepEqual(await open(sealed, { key: lobbyWrong }), { ok: false, reason: 'wrong-passphrase' });
  });
  await t.test('the same passphrase in another room is another key', async () => {
    assert.notEqual(kitchen.id, lobby.id);
    assert.deepEqual(await open(sealed, { key: kitchen, room: 'kitchen' }), { ok: false, reason: 'wrong-passphrase' });
  });
  await t.test('replayed into another room', async () => {
    assert.deepEqual(await open(sealed, { room: 'kitchen' }), { ok: false, reason: 'tampered' });
  });
  await t.test('replayed under another name', async () => {
    assert.deepEqual(await open(sealed, { sender: 'mallory' }), { ok: false, reason: 'tampered' });
    assert.deepEqual(await open({ ...sealed, sender: 'mallory' }, { sender: 'mallory' }), { ok: false, reason: 'tampered' });
  });
  await t.test('a byte of the ciphertext, the tag or the nonce', async () => {
    for (const s of [{ ...sealed, ct: flip(sealed.ct, 0) }, { ...sealed, ct: flip(sealed.ct, -1) },
      { ...sealed, nonce: flip(sealed.nonce, 4) }]) {
      assert.deepEqual(await open(s), { ok: false, reason: 'tampered' });
    }
  });
  await t.test('the passphrase is read as NFC', async () => {
    const composed = await roomKey('caf\u00e9', 'lobby');
    const decomposed = await roomKey('cafe\u0301', 'lobby');
    assert.equal(composed.id, decomposed.id);
  });
  for (const [name, s, reason] of [
    ['version 2', { ...sealed, v: 2 }, 'unsupported-version'],
    ['another suite', { ...sealed, alg: 'ARGON2ID-A256GCM' }, 'unsupported-version'],
    ['null', null, 'malformed'],
    ['a ciphertext of 10 MB', { ...sealed, ct: 'A'.repeat(10 << 20) }, 'malformed'],
    ['a key id of the wrong size', { ...sealed, kid: 'AAAA' }, 'malformed'],
    ['no sender', { ...sealed, sender: undefined }, 'malformed'],
  ]) {
    await t.test(name, async () => assert.deepEqual(await open(s), { ok: false, reason }));
  }
  await t.test('random mutations never throw and never yield other text', async () => {
    for (const { what, value } of mutations(sealed, 200, 0xc0ffee)) {
      const r = await open(value);
      if (r.ok) assert.deepEqual(r, { ok: true, text: 'agenda: keys' }, what);
      else assert.ok(REASONS.includes(r.reason), `${what}: ${r.reason}`);
    }
  });
  await t.test('a member who seals something that is not a body', async () => {
    // Someone with the passphrase can encrypt any bytes; the reader must
    // say so rather than show them.
    for (const body of ['not json', '{"text":42}', '[]', '{"text":"x","file":{"name":"a"}}', '\u00ff\u00fe']) {
      const nonce = crypto.getRandomValues(new Uint8Array(12));
      const additionalData = Buffer.concat([str('wschat-seal-v1 room'), str('PBKDF2-SHA256-A256GCM'), str('lobby'),
        str('alice'), str(lobby.id)]);
      const bytes = body === '\u00ff\u00fe' ? Uint8Array.of(0xff, 0xfe) : Buffer.from(body);
      const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData }, lobby.key, bytes);
      const s = { ...sealed, nonce: Buffer.from(nonce).toString('base64url'), ct: Buffer.from(ct).toString('base64url') };
      assert.deepEqual(await open(s), { ok: false, reason: 'malformed' }, body);
    }
  });
  await t.test('sealing refuses a text over the bound and a bad passphrase', async () => {
    await assert.rejects(sealRoom({ text: 'x'.repeat(MAX_BODY), key: lobby, room: 'lobby', sender: 'alice' }), RangeError);
    await assert.rejects(roomKey('', 'lobby'), TypeError);
    await assert.rejects(roomKey('x'.repeat(1025), 'lobby'), TypeError);
  });
});

test('files', async (t) => {
  const bytes = new Uint8Array(100_000).map((_, i) => (i * 131 + 7) & 0xff);
  const sealed = await sealFile(bytes);
  await t.test('round trip', async () => {
    assert.equal(sealed.ciphertext.length, bytes.length + 16);
    assert.deepEqual(await openFile(sealed.ciphertext, sealed), { ok: true, bytes });
  });
  await t.test('the server cannot read it', () => {
    assert.notDeepEqual(sealed.ciphertext.subarray(0, 100), bytes.subarray(0, 100));
  });
  await t.test('a changed byte anywhere', async () => {
    for (const i of [0, 50_000, bytes.length + 15]) {
      const c = sealed.ciphertext.slice();
      c[i] ^= 1;
      assert.deepEqual(await openFile(c, sealed), { ok: false, reason: 'tampered' }, `byte ${i}`);
    }
  });
  await t.test('cut short, or another file\'s key', async () => {
    assert.deepEqual(await openFile(sealed.ciphertext.subarray(0, 1000), sealed), { ok: false, reason: 'tampered' });
    const other = await sealFile(bytes);
    assert.deepEqual(await openFile(sealed.ciphertext, other), { ok: false, reason: 'tampered' });
  });
  for (const [name, c, k] of [
    ['shorter than a tag', new Uint8Array(15), sealed],
    ['not bytes', 'abc', sealed],
    ['no key', sealed.ciphertext, { nonce: sealed.nonce }],
    ['a short key', sealed.ciphertext, { ...sealed, key: sealed.key.slice(0, 20) }],
    ['a bad nonce', sealed.ciphertext, { ...sealed, nonce: '!!!!!!!!!!!!!!!!' }],
  ]) {
    await t.test(name, async () => assert.deepEqual(await openFile(c, k), { ok: false, reason: 'malformed' }));
  }
});

test('safety numbers', async (t) => {
  const [a1, a2, b1, b2] = await Promise.all([1, 2, 3, 4].map(() => generateDeviceKey()));
  const alice = { name: 'alice', keys: [a1.raw, a2.raw] };
  const bob = { name: 'bob', keys: [b1.raw] };
  const n = await safetyNumber(alice, bob);
  await t.test('60 digits in 12 groups of 5', () => assert.match(n, /^\d{5}( \d{5}){11}$/));
  await t.test('the same on both sides', async () => assert.equal(await safetyNumber(bob, alice), n));
  await t.test('device order and repeats do not matter', async () => {
    assert.equal(await safetyNumber({ ...alice, keys: [a2.raw, a1.raw, a2.raw] }, bob), n);
  });
  for (const [name, a, b] of [
    ['a key replaced', { ...alice, keys: [a1.raw, b2.raw] }, bob],
    ['a device added', alice, { ...bob, keys: [b1.raw, b2.raw] }],
    ['a device removed', { ...alice, keys: [a1.raw] }, bob],
    ['another name', { ...alice, name: 'alicia' }, bob],
    ['the keys swapped between the two', { ...alice, keys: [b1.raw] }, { ...bob, keys: [a1.raw, a2.raw] }],
  ]) {
    await t.test(`changes with ${name}`, async () => assert.notEqual(await safetyNumber(a, b), n));
  }
  await t.test('refuses a party without keys or with a bad key', async () => {
    await assert.rejects(safetyNumber({ name: 'x', keys: [] }, bob), TypeError);
    await assert.rejects(safetyNumber({ name: 'x', keys: ['AAAA'] }, bob), TypeError);
  });
});
