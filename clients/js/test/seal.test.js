// Private messages: round trips between devices, and every way a server,
// another recipient or a broken client can hand a device something else.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, createCipheriv, createHash, hkdfSync } from 'node:crypto';

import {
  generateDeviceKey, importPublicKey, keyId, sealPrivate, openPrivate, MAX_DEVICES, MAX_BODY,
} from '../src/seal.js';
import { str, list, x25519 } from '../testlib/reference.js';
import { mutations, REASONS } from '../testlib/mutate.js';

const alice = { phone: await generateDeviceKey(), laptop: await generateDeviceKey() };
const bob = { phone: await generateDeviceKey(), laptop: await generateDeviceKey(), tablet: await generateDeviceKey() };
const carol = await generateDeviceKey();
const aliceDevices = [alice.phone, alice.laptop];
const bobDevices = [bob.phone, bob.laptop, bob.tablet];

/** fromAlice seals text from alice's phone to bob's three devices and alice's two. */
function fromAlice(text, extra = {}) {
  return sealPrivate({
    text, sender: { name: 'alice', device: alice.phone, devices: aliceDevices },
    recipients: [{ name: 'bob', devices: bobDevices }], ...extra,
  });
}

/** nonCanonical spells the same bytes with a non-zero bit past the end (RFC 4648 §3.5). */
function nonCanonical(b64) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  return b64.slice(0, -1) + alphabet[alphabet.indexOf(b64.at(-1)) | 1];
}

/** open opens sealed as name's device dev, from alice's devices unless told otherwise. */
function open(sealed, name, dev, sender = { name: 'alice', devices: aliceDevices }) {
  return openPrivate(sealed, { me: { name, device: dev }, sender });
}

test('device keys', async (t) => {
  await t.test('the private key cannot leave the device', async () => {
    assert.equal(alice.phone.privateKey.extractable, false);
    await assert.rejects(crypto.subtle.exportKey('pkcs8', alice.phone.privateKey));
  });
  await t.test('the key id is the first 16 bytes of SHA-256 of the raw key', async () => {
    const raw = Buffer.from(alice.phone.raw, 'base64url');
    assert.equal(raw.length, 32);
    assert.equal(alice.phone.keyId, createHash('sha256').update(raw).digest().subarray(0, 16).toString('base64url'));
    assert.equal(await keyId(raw), alice.phone.keyId);
  });
  await t.test('a published key imports to the same id', async () => {
    const k = await importPublicKey(alice.phone.raw);
    assert.equal(k.keyId, alice.phone.keyId);
  });
  for (const [name, raw] of [['31 bytes', 'A'.repeat(42)], ['33 bytes', 'A'.repeat(44)], ['not base64url', '+'.repeat(43)],
    ['padded', 'A'.repeat(42) + '='], ['a number', 42], ['empty', '']]) {
    await t.test(`importPublicKey refuses ${name}`, async () => assert.equal(await importPublicKey(raw), null));
  }
});

test('round trips', async (t) => {
  const text = 'Meet at 6 — bring the 🔑';
  const sealed = await fromAlice(text);
  for (const [who, name, dev] of [['bob\'s phone', 'bob', bob.phone], ['bob\'s laptop', 'bob', bob.laptop],
    ['bob\'s tablet', 'bob', bob.tablet], ['alice\'s other device', 'alice', alice.laptop],
    ['the sending device itself', 'alice', alice.phone]]) {
    await t.test(`${who} reads it`, async () => assert.deepEqual(await open(sealed, name, dev), { ok: true, text }));
  }
  await t.test('one device each side', async () => {
    const s = await sealPrivate({ text: 'hi', sender: { name: 'alice', device: alice.phone },
      recipients: [{ name: 'bob', devices: [bob.phone] }] });
    assert.equal(s.keys.length, 2);
    assert.deepEqual(await open(s, 'bob', bob.phone, { name: 'alice', devices: [alice.phone] }), { ok: true, text: 'hi' });
  });
  await t.test('it survives JSON, as it travels', async () => {
    const s = JSON.parse(JSON.stringify(sealed));
    assert.deepEqual(await open(s, 'bob', bob.laptop), { ok: true, text });
  });
  await t.test('the format\'s fields, and nothing in clear', async () => {
    assert.deepEqual(Object.keys(sealed), ['v', 'alg', 'sender', 'skid', 'to', 'nonce', 'kc', 'keys', 'ct']);
    assert.equal(sealed.v, 1);
    assert.equal(sealed.alg, 'X25519-HKDF-SHA256-A256GCM');
    assert.deepEqual(sealed.to, ['bob']);
    assert.equal(sealed.keys.length, 5);
    assert.ok(!JSON.stringify(sealed).includes('Meet'));
  });
  await t.test('a file descriptor travels with the text', async () => {
    const file = { name: 'plan.pdf', type: 'application/pdf', size: 1234, url: '/files/ab12',
      key: Buffer.alloc(32, 7).toString('base64url'), nonce: Buffer.alloc(12, 9).toString('base64url') };
    const s = await fromAlice('the plan', { file });
    assert.deepEqual(await open(s, 'bob', bob.phone), { ok: true, text: 'the plan', file });
  });
  await t.test('two seals of one text differ', async () => {
    const again = await fromAlice(text);
    assert.notEqual(again.ct, sealed.ct);
    assert.notEqual(again.nonce, sealed.nonce);
  });
});

test('who may read', async (t) => {
  const sealed = await fromAlice('for bob only');
  await t.test('a device it was not sealed for', async () => {
    assert.deepEqual(await open(sealed, 'carol', carol), { ok: false, reason: 'not-for-this-device' });
  });
  await t.test('an account it was not addressed to, even with a listed key id', async () => {
    assert.deepEqual(await open(sealed, 'carol', bob.phone), { ok: false, reason: 'not-for-this-device' });
  });
  await t.test('a sender key the reader does not know', async () => {
    assert.deepEqual(await open(sealed, 'bob', bob.phone, { name: 'alice', devices: [alice.laptop] }),
      { ok: false, reason: 'unknown-sender-key' });
  });
  await t.test('the server names another sender', async () => {
    assert.deepEqual(await open(sealed, 'bob', bob.phone, { name: 'mallory', devices: aliceDevices }),
      { ok: false, reason: 'tampered' });
  });
  await t.test('the server renames the sender inside as well', async () => {
    const s = { ...sealed, sender: 'mallory' };
    assert.deepEqual(await open(s, 'bob', bob.phone, { name: 'mallory', devices: aliceDevices }),
      { ok: false, reason: 'tampered' });
  });
  await t.test('another of the sender\'s devices claimed as its author', async () => {
    const s = { ...sealed, skid: alice.laptop.keyId };
    assert.deepEqual(await open(s, 'bob', bob.phone), { ok: false, reason: 'tampered' });
  });
});

test('tampering', async (t) => {
  const sealed = await fromAlice('exact words');
  const readers = [['bob', bob.phone], ['bob', bob.laptop], ['bob', bob.tablet], ['alice', alice.phone], ['alice', alice.laptop]];
  const flip = (b64, i) => {
    const b = Buffer.from(b64, 'base64url');
    b[(i + b.length) % b.length] ^= 0x01;
    return b.toString('base64url');
  };
  const cases = [
    ['a byte of the ciphertext', (s) => ({ ...s, ct: flip(s.ct, 3) })],
    ['the last byte of the tag', (s) => ({ ...s, ct: flip(s.ct, -1) })],
    ['a byte of the nonce', (s) => ({ ...s, nonce: flip(s.nonce, 0) })],
    ['a byte of the key commitment', (s) => ({ ...s, kc: flip(s.kc, 5) })],
    ['the recipients list', (s) => ({ ...s, to: ['bob', 'carol'] })],
    ['a recipient renamed', (s) => ({ ...s, to: ['bobby'] })],
    ['a device dropped from the list', (s) => ({ ...s, keys: s.keys.filter((k) => k.kid !== alice.laptop.keyId) })],
    ['wrapped keys swapped between devices', (s) => {
      const wks = s.keys.map((k) => k.wk);
      wks.push(wks.shift());
      return { ...s, keys: s.keys.map((k, i) => ({ ...k, wk: wks[i] })) };
    }],
    ['the ciphertext of another message', async (s) => ({ ...s, ct: (await fromAlice('other words')).ct })],
  ];
  for (const [name, change] of cases) {
    await t.test(name, async () => {
      const s = await change(structuredClone(sealed));
      for (const [who, dev] of readers) {
        const r = await open(s, who, dev);
        const listed = s.keys.some((k) => k.kid === dev.keyId) && (who === 'alice' || s.to.includes(who));
        if (!listed && !r.ok && r.reason === 'not-for-this-device') continue;
        assert.deepEqual(r, { ok: false, reason: 'tampered' }, `${who}: ${JSON.stringify(r)}`);
      }
    });
  }
  for (const [who, dev] of readers) {
    await t.test(`a byte of the wrapped key for ${who}'s device ${dev.keyId}`, async () => {
      const s = { ...sealed, keys: sealed.keys.map((k) => (k.kid === dev.keyId ? { ...k, wk: flip(k.wk, 7) } : k)) };
      assert.deepEqual(await open(s, who, dev), { ok: false, reason: 'tampered' });
    });
  }
});

test('a recipient cannot put words in the sender\'s mouth for the other devices', async () => {
  // Bob knows the content key of every message to him. Without the wrapped
  // keys binding the ciphertext, he could seal new text under that key and
  // pass it off to alice's laptop as alice's. Fixed keys let the test play
  // bob with node:crypto.
  const bobPriv = '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb';
  const jwk = { kty: 'OKP', crv: 'X25519', d: Buffer.from(bobPriv, 'hex').toString('base64url'),
    x: Buffer.from('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f', 'hex').toString('base64url') };
  const bobKey = await importPublicKey(jwk.x);
  const bobFixed = { ...bobKey, privateKey: await crypto.subtle.importKey('jwk', jwk, { name: 'X25519' }, false, ['deriveBits']) };
  const sealed = await sealPrivate({ text: 'I will pay you back',
    sender: { name: 'alice', device: alice.phone, devices: [alice.laptop] },
    recipients: [{ name: 'bob', devices: [bobFixed] }] });

  const nonce = Buffer.from(sealed.nonce, 'base64url');
  const shared = x25519(bobPriv, Buffer.from(alice.phone.raw, 'base64url').toString('hex'));
  const kek = Buffer.from(hkdfSync('sha256', shared, nonce,
    Buffer.concat([str('wschat-seal-v1 wrap'), str(sealed.skid), str(bobKey.keyId)]), 32));
  const aad = Buffer.concat([str('wschat-seal-v1 private'), str(sealed.alg), str('alice'), str(sealed.skid),
    list(sealed.to), list(sealed.keys.map((k) => k.kid)), str(sealed.kc)]);
  const ct = Buffer.from(sealed.ct, 'base64url');
  const wk = Buffer.from(sealed.keys.find((k) => k.kid === bobKey.keyId).wk, 'base64url');
  const unwrap = createDecipheriv('aes-256-gcm', kek, Buffer.alloc(12));
  unwrap.setAAD(Buffer.concat([aad, createHash('sha256').update(ct).digest()]));
  unwrap.setAuthTag(wk.subarray(32));
  const ck = Buffer.concat([unwrap.update(wk.subarray(0, 32)), unwrap.final()]);

  const forge = createCipheriv('aes-256-gcm', ck, nonce);
  forge.setAAD(aad);
  const body = Buffer.from(JSON.stringify({ text: 'You owe me nothing' }));
  const forged = { ...sealed, ct: Buffer.concat([forge.update(body), forge.final(), forge.getAuthTag()]).toString('base64url') };

  assert.deepEqual(await open(sealed, 'alice', alice.laptop), { ok: true, text: 'I will pay you back' });
  assert.deepEqual(await open(forged, 'alice', alice.laptop), { ok: false, reason: 'tampered' });
});

test('versions and malformed input', async (t) => {
  const sealed = await fromAlice('hello');
  const cases = [
    ['version 2', { ...sealed, v: 2 }, 'unsupported-version'],
    ['version 0', { ...sealed, v: 0 }, 'unsupported-version'],
    ['another suite', { ...sealed, alg: 'X448-HKDF-SHA512-A256GCM' }, 'unsupported-version'],
    ['version as a string', { ...sealed, v: '1' }, 'malformed'],
    ['no version', { ...sealed, v: undefined }, 'malformed'],
    ['null', null, 'malformed'],
    ['an array', [sealed], 'malformed'],
    ['a string', JSON.stringify(sealed), 'malformed'],
    ['no ciphertext', { ...sealed, ct: undefined }, 'malformed'],
    ['a ciphertext shorter than a tag', { ...sealed, ct: 'AAAA' }, 'malformed'],
    ['a ciphertext over the bound', { ...sealed, ct: 'A'.repeat(4 * MAX_BODY) }, 'malformed'],
    ['a ciphertext of 10 MB', { ...sealed, ct: 'A'.repeat(10 << 20) }, 'malformed'],
    ['a nonce with a character outside base64url', { ...sealed, nonce: sealed.nonce.slice(0, -1) + '!' }, 'malformed'],
    ['a commitment spelled with non-zero trailing bits', { ...sealed, kc: nonCanonical(sealed.kc) }, 'malformed'],
    ['a short nonce', { ...sealed, nonce: 'AAAA' }, 'malformed'],
    ['a sender name of 10 000 characters', { ...sealed, sender: 'a'.repeat(10000) }, 'malformed'],
    ['an empty sender name', { ...sealed, sender: '' }, 'malformed'],
    ['a sender name with a lone surrogate', { ...sealed, sender: 'alice\ud800' }, 'malformed'],
    ['no devices', { ...sealed, keys: [] }, 'malformed'],
    ['keys not a list', { ...sealed, keys: { 0: sealed.keys[0] } }, 'malformed'],
    [`${MAX_DEVICES + 1} devices`, { ...sealed, keys: Array.from({ length: MAX_DEVICES + 1 }, () => sealed.keys[0]) }, 'malformed'],
    ['100 000 devices', { ...sealed, keys: Array.from({ length: 100000 }, () => sealed.keys[0]) }, 'malformed'],
    ['a device listed twice', { ...sealed, keys: [sealed.keys[0], ...sealed.keys] }, 'malformed'],
    ['devices out of order', { ...sealed, keys: [...sealed.keys].reverse() }, 'malformed'],
    ['recipients out of order', { ...sealed, to: ['zed', 'bob'] }, 'malformed'],
    ['17 recipients', { ...sealed, to: Array.from({ length: 17 }, (_, i) => `u${String(i).padStart(2, '0')}`) }, 'malformed'],
    ['a wrapped key of the wrong size', { ...sealed, keys: sealed.keys.map((k) => ({ ...k, wk: k.wk.slice(4) })) }, 'malformed'],
  ];
  for (const [name, s, reason] of cases) {
    await t.test(name, async () => assert.deepEqual(await open(s, 'bob', bob.phone), { ok: false, reason }));
  }
  await t.test('a field it does not know is ignored', async () => {
    assert.deepEqual(await open({ ...sealed, note: 'x' }, 'bob', bob.phone), { ok: true, text: 'hello' });
  });
});

test('random mutations never throw and never yield other text', async () => {
  const text = 'the one true text';
  const sealed = await fromAlice(text);
  let opened = 0;
  for (const { what, value } of mutations(sealed, 400, 0x5eed)) {
    const r = await open(value, 'bob', bob.phone);
    if (r.ok) {
      assert.deepEqual(r, { ok: true, text }, what);
      opened++;
    } else {
      assert.ok(REASONS.includes(r.reason), `${what}: ${r.reason}`);
    }
  }
  assert.ok(opened < 400, 'some mutations must be refused');
});

test('sealing refuses what it cannot seal', async (t) => {
  const many = await Promise.all(Array.from({ length: MAX_DEVICES }, () => generateDeviceKey()));
  await t.test(`more than ${MAX_DEVICES} devices`, async () => {
    await assert.rejects(sealPrivate({ text: 'x', sender: { name: 'alice', device: alice.phone },
      recipients: [{ name: 'bob', devices: many }] }), RangeError);
  });
  await t.test('a text over the bound', async () => {
    await assert.rejects(fromAlice('x'.repeat(MAX_BODY)), RangeError);
  });
  await t.test('a device whose key id is not its key\'s', async () => {
    await assert.rejects(sealPrivate({ text: 'x', sender: { name: 'alice', device: { ...alice.phone, keyId: bob.phone.keyId } },
      recipients: [{ name: 'bob', devices: [bob.phone] }] }), TypeError);
  });
  await t.test('a text that is not a string', async () => {
    await assert.rejects(fromAlice(42), TypeError);
  });
  await t.test('a file without its key', async () => {
    await assert.rejects(fromAlice('x', { file: { name: 'a', type: '', size: 1, url: '/files/1' } }), TypeError);
  });
});
