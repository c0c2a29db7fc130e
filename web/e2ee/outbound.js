// What goes encrypted: a request of the outbox that must be sealed (a
// private message between accounts; a message to a room whose
// passphrase the person gave, or that the server says is encrypted) is
// sealed here before it is sent, in the order the page sends them. A
// private message waits, and the page warns, when the other side's
// devices changed since they were last accepted; it goes once the person
// accepts the new ones.

import { sealPrivate, sealRoom } from '/seal/seal.js';
import { session, sendJSON } from '../session.js';
import { e2ee, active, ready, roomKeyOf, seenKeys, acceptKeys } from './e2ee.js';
import { devicesOf } from './directory.js';
import { warnChanged, tell } from './panel.js';

let chain = Promise.resolve();
const held = new Map(); // name in lower case → items waiting for the person to accept new keys

/** privateCommand reads "/msg NAME TEXT" as { to, text } when private messages go sealed, or returns null. */
export function privateCommand(text) {
  if (!active()) return null;
  const m = /^\/msg\s+(\S+)\s+([\s\S]*\S[\s\S]*)$/i.exec(text);
  return m ? { to: m[1], text: m[2].trim() } : null;
}

/** sealing reports whether request must go sealed. */
export function sealing(request) {
  if (!active()) return false;
  if (request.type === 'private') return true;
  if (request.type !== 'message') return false;
  const room = session.room.toLowerCase();
  return e2ee.encrypted.has(room) || e2ee.roomKeys.has(room);
}

/**
 * sendSealed seals item's request and sends it, after those before it;
 * item.sent says whether it went. fail(words) is told when it cannot be
 * sealed for good: the outbox gives its text back.
 */
export function sendSealed(item, fail) {
  item.sent = true; // on its way: not sent again meanwhile
  chain = chain.then(async () => {
    try {
      const req = await sealed(item, fail);
      item.sent = req ? sendJSON(req) : false;
    } catch (err) {
      item.sent = false;
      fail(`Not sent: it could not be encrypted (${err?.message || err})`);
    }
  });
}

/** sealed returns item's request sealed, or null when it waits or cannot go. */
async function sealed(item, fail) {
  const r = item.request;
  const device = await ready(session.name);
  if (!device) {
    fail(`Not sent: ${e2ee.failed || 'this browser has no encryption key'}`);
    return null;
  }
  if (r.type === 'private') return sealedPrivate(item, device, fail);
  const key = await roomKeyOf(session.room);
  if (!key) {
    fail("Not sent: this room is encrypted: give its passphrase (🔒 above) to write in it");
    return null;
  }
  const s = await sealRoom({ text: r.text, file: r.file, key, room: session.room, sender: session.name });
  return { type: 'message', sealed: s, client_id: r.client_id };
}

/** sealedPrivate seals a private message for both accounts' devices, unless the other side's changed. */
async function sealedPrivate(item, device, fail) {
  const r = item.request;
  const theirs = await devicesOf(r.to, true);
  if (theirs.length === 0) {
    fail(`Not sent: ${r.to} has no encryption key yet (they have not used the chat in a browser since encryption came): nothing was sent in clear`);
    return null;
  }
  const ids = theirs.map((d) => d.keyId);
  const seen = await seenKeys(r.to);
  if (seen === null) {
    await acceptKeys(r.to, ids); // first contact: trusted on first use, the safety number checks it
  } else if (seen.join() !== [...ids].sort().join()) {
    hold(r.to, item);
    warnChanged(r.to, ids, () => release(r.to, ids, fail));
    return null;
  }
  const mine = await devicesOf(session.name);
  const s = await sealPrivate({
    text: r.text,
    file: r.file,
    sender: { name: session.name, device, devices: mine.filter((d) => d.keyId !== device.keyId) },
    recipients: [{ name: r.to, devices: theirs }],
  });
  return { type: 'private', to: r.to, sealed: s, client_id: r.client_id };
}

/** hold keeps item until the person accepts name's new keys. */
function hold(name, item) {
  const k = name.toLowerCase();
  const items = held.get(k) ?? [];
  if (!items.includes(item)) held.set(k, [...items, item]); // a reconnection sends it again
}

/** release accepts name's devices and sends what waited for that. */
async function release(name, ids, fail) {
  await acceptKeys(name, ids);
  const items = held.get(name.toLowerCase()) ?? [];
  held.delete(name.toLowerCase());
  tell(name, `You accepted ${name}'s new keys: compare the safety number again`);
  for (const item of items) sendSealed(item, fail);
}
