// What goes encrypted: every request of the outbox passes through
// outbound (the client library's outbound option, which keeps their
// order), and one that must be sealed (a private message between
// accounts; a message to a room whose passphrase the person gave, or
// that the server says is encrypted) is sealed here before it is sent. A
// private message waits, and the page warns, when the other side's
// devices changed since they were last accepted; it goes once the person
// accepts the new ones. One that cannot be sealed is refused
// (not-encrypted), and never goes in clear.

import { sealPrivate, sealRoom } from '/seal/seal.js';
import { ChatError } from '/lib/http.js';
import { session } from '../session.js';
import { e2ee, active, ready, roomKeyOf, seenKeys, acceptKeys } from './e2ee.js';
import { devicesOf } from './directory.js';
import { warnChanged, tell } from './panel.js';

const held = new Set(); // names in lower case whose new keys wait for the person to accept them

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

/** notSent is the refusal of a request that could not be sealed: words say why. */
const notSent = (words) => new ChatError('not-encrypted', words);

/**
 * outbound returns what request goes as: itself, sealed, or null while
 * it waits for the person to accept new keys; it throws a ChatError
 * when it cannot be sealed.
 */
export async function outbound(request) {
  if (!sealing(request)) {
    if (request.file) throw notSent('Not sent: an encrypted file is announced only encrypted');
    return request;
  }
  let req;
  try {
    req = await sealed(request);
  } catch (err) {
    if (err instanceof ChatError) throw err;
    throw notSent(`Not sent: it could not be encrypted (${err?.message || err})`);
  }
  return req;
}

/** sealed returns request sealed, or null when it waits. */
async function sealed(r) {
  const device = await ready(session.name);
  if (!device) throw notSent(`Not sent: ${e2ee.failed || 'this browser has no encryption key'}`);
  if (r.type === 'private') return sealedPrivate(r, device);
  const key = await roomKeyOf(session.room);
  if (!key) throw notSent('Not sent: this room is encrypted: give its passphrase (🔒 above) to write in it');
  const s = await sealRoom({ text: r.text, file: r.file, key, room: session.room, sender: session.name });
  return { type: 'message', sealed: s, client_id: r.client_id };
}

/** sealedPrivate seals a private message for both accounts' devices, or returns null when the other side's changed. */
async function sealedPrivate(r, device) {
  const theirs = await devicesOf(r.to, true);
  if (theirs.length === 0) {
    throw notSent(`Not sent: ${r.to} has no encryption key yet (they have not used the chat in a browser since encryption came): nothing was sent in clear`);
  }
  const ids = theirs.map((d) => d.keyId);
  const seen = await seenKeys(r.to);
  if (seen === null) {
    await acceptKeys(r.to, ids); // first contact: trusted on first use, the safety number checks it
  } else if (seen.join() !== [...ids].sort().join()) {
    if (!held.has(r.to.toLowerCase())) {
      held.add(r.to.toLowerCase());
      warnChanged(r.to, ids, () => release(r.to, ids));
    }
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

/** release accepts name's devices and sends what waited for that. */
async function release(name, ids) {
  await acceptKeys(name, ids);
  held.delete(name.toLowerCase());
  tell(name, `You accepted ${name}'s new keys: compare the safety number again`);
  session.client?.retryNow();
}
