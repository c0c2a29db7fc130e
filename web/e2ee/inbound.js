// What arrives encrypted: every event from the server passes through
// inbound, in order. One that carries "sealed" is opened here, on this
// device, and handed on as the event it stands for, with its text (and
// file) in clear; one that cannot be opened is handed on saying so, and
// why, never with its bytes. Events wait behind one being opened, so
// that the order the server sent them in is kept.

import { openPrivate, openRoom } from '/seal/seal.js';
import { session } from '../session.js';
import { e2ee, active, ready, roomKeyOf } from './e2ee.js';
import { devicesOf } from './directory.js';
import { remember } from './files.js';
import { refresh } from './panel.js';

let chain = Promise.resolve();
let waiting = 0;

/** Words for why a message could not be opened, by the reason openPrivate and openRoom give. */
const WHY = {
  'unsupported-version': 'it was sealed in a newer format than this page reads',
  malformed: 'it is not a well-formed sealed message',
  'not-for-this-device': 'it was not sealed for this device (sent before this browser had its key)',
  'unknown-sender-key': "it was sealed by a device the sender's account does not list",
  tampered: 'it was altered on the way, or was not sealed by its sender (tampered)',
  'wrong-passphrase': "the room's passphrase you gave is not the one it was sealed with (wrong-passphrase)",
  'no-room-key': "give the room's passphrase to read it",
  'no-device-key': 'this browser has no key to open it with',
};

/**
 * inbound hands deliver each event's data, in order, opening sealed ones
 * first. deliver takes the data as a string, as the socket gave it.
 */
export function inbound(data, deliver) {
  const welcome = typeof data === 'string' && data.startsWith('{"type":"welcome"');
  if (waiting === 0 && !welcome && !data.includes('"sealed":')) {
    deliver(data);
    return;
  }
  waiting++;
  chain = chain.then(() => opened(data)).then(deliver, () => deliver(data)).finally(() => waiting--);
}

/** opened returns data with its sealed message opened, or saying why it could not be. */
async function opened(data) {
  const ev = JSON.parse(data);
  if (ev.type === 'welcome') {
    if (ev.encrypted === true && typeof ev.room === 'string') e2ee.encrypted.add(ev.room.toLowerCase());
    if (active()) {
      await ready(typeof ev.name === 'string' ? ev.name : session.name);
      if (typeof ev.room === 'string') await roomKeyOf(ev.room);
    }
    refresh();
    return data;
  }
  if (!ev.sealed || typeof ev.name !== 'string') return data;
  let result;
  if (ev.type === 'private') result = await openPrivateEvent(ev);
  else {
    if (typeof ev.room === 'string' && !e2ee.encrypted.has(ev.room.toLowerCase())) {
      e2ee.encrypted.add(ev.room.toLowerCase());
      refresh();
    }
    result = await openRoomEvent(ev);
  }
  return JSON.stringify(shown(ev, result));
}

/** openPrivateEvent opens a private message with this device's key, asking the directory again once if the sender's device is new. */
async function openPrivateEvent(ev) {
  const device = await ready(session.name);
  if (!device) return { ok: false, reason: 'no-device-key' };
  // The sender wrote the recipient's name as they typed it; the server
  // checked it is this account's, whose names compare without case.
  const to = Array.isArray(ev.sealed.to) ? ev.sealed.to : [];
  const name = to.find((n) => typeof n === 'string' && n.toLowerCase() === session.name.toLowerCase()) ?? session.name;
  const me = { name, device };
  let r = await openPrivate(ev.sealed, { me, sender: { name: ev.name, devices: await devicesOf(ev.name) } });
  if (!r.ok && r.reason === 'unknown-sender-key') {
    r = await openPrivate(ev.sealed, { me, sender: { name: ev.name, devices: await devicesOf(ev.name, true) } });
  }
  return r;
}

/** openRoomEvent opens a room's message with the key of its passphrase, if the person gave it. */
async function openRoomEvent(ev) {
  const room = typeof ev.room === 'string' ? ev.room : '';
  const key = room && await roomKeyOf(room);
  if (!key) return { ok: false, reason: 'no-room-key' };
  return openRoom(ev.sealed, { key, room, sender: ev.name });
}

/** shown is the event the page shows for a sealed one: its text and file in clear, or why it cannot be read. */
function shown(ev, r) {
  const out = { ...ev };
  delete out.sealed;
  if (!r.ok) {
    out.text = `🔒 This message could not be decrypted: ${WHY[r.reason] ?? r.reason}`;
    return out;
  }
  out.text = r.text;
  if (r.file) {
    remember(r.file);
    // The file is ciphertext on the server: no preview, and the link
    // decrypts it when followed (files.js).
    out.file = { name: r.file.name, type: 'application/octet-stream', size: r.file.size, url: r.file.url };
    if (ev.type === 'message') out.type = 'file';
    if (out.text === '') out.text = `[file] ${r.file.name}`;
  }
  if (out.text === '') out.text = ' ';
  return out;
}
