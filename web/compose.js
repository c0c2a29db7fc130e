// Writing: the message box (Enter sends, Shift+Enter starts a new line),
// answering or editing a message, and the requests on their way through
// the outbox (outbox.js) until the server answers them. A request the
// server refused for now waits and goes again; one it refused for good
// gives its text back to the box.

import { ui, renderLimit } from './view.js';
import { session, send, sendJSON, setStatus, ready } from './session.js';
import { messageLine, noticeLine, snippet } from './lines.js';
import { append, log, removeLine, view } from './log.js';
import { outbox, add, find, settle } from './outbox.js';
import { reactedBy } from './messages.js';
import { auth } from './auth.js';
import { FOR_NOW } from '/lib/protocol.js';
import { sealing, sendSealed, privateCommand } from './e2ee/outbound.js';

const RETRY_MS = 3000; // how long a request refused for now waits to go again
const SLOW_MS = 1500; // and one over the rate
const DRAFT = 'wschat.draft'; // the box's text, kept through a reload

const encoder = new TextEncoder();

/** What the box is for: a new message, an answer to one, or an edit of one's own. */
export const compose = { mode: 'new', id: '', retry: 0 };

/** currentView is the view in the log. */
const currentView = () => log.views.get(log.current);

/** request is what the box's text becomes in view v, or null for a command. */
function request(v, text) {
  if (v.kind === 'private') return { type: 'private', to: v.name, text };
  if (compose.mode === 'edit') return { type: 'edit', id: compose.id, text };
  if (compose.mode === 'reply') return { type: 'message', reply_to: compose.id, text };
  return { type: 'message', text };
}

/** isCommand reports whether text is a command: it starts with "/", but not "//". */
const isCommand = (text) => text.startsWith('/') && !text.startsWith('//');

/** frameOf is what text written in v becomes on the socket. */
function frameOf(v, text) {
  if (isCommand(text)) return text;
  const t = text.startsWith('//') ? text.slice(1) : text;
  return JSON.stringify({ ...request(v, t), client_id: 'x'.repeat(40) });
}

/**
 * fits shows how the box's text measures against the server's limit,
 * and reports whether it fits. The server counts the UTF-8 bytes of the
 * whole frame: the text, as JSON writes it, and the request around it,
 * which leaves the text a little less than the limit.
 */
export function fits() {
  const v = currentView();
  const text = ui.text.value;
  if (!v || text === '') {
    renderLimit(0, auth.maxMessage);
    return true;
  }
  const frame = encoder.encode(frameOf(v, text)).length;
  const words = isCommand(text) ? frame : encoder.encode(JSON.stringify(text)).length - 2;
  const room = auth.maxMessage - (frame - words);
  renderLimit(words, room);
  return words <= room;
}

/** grow fits the box to its text, up to a few lines; hidden, it has no height to measure, and is left as the style sheet says. */
function grow() {
  ui.text.style.height = '';
  if (ui.text.scrollHeight > ui.text.clientHeight) ui.text.style.height = `${Math.min(ui.text.scrollHeight + 2, 160)}px`;
}

/** startReply makes the box answer the message id. */
export function startReply(id) {
  const m = view('room', session.room).msgs.get(id);
  if (!m) return;
  Object.assign(compose, { mode: 'reply', id });
  ui.composeWhat.textContent = `Replying to ${m.name}: ${snippet(m.file ? m.file.name : m.text, 60)}`;
  ui.composeBar.hidden = false;
  ui.text.focus();
}

/** startEdit puts one's own message id in the box to edit it. */
export function startEdit(id) {
  const m = view('room', session.room).msgs.get(id);
  if (!m || !m.mine || m.file) return;
  Object.assign(compose, { mode: 'edit', id });
  ui.composeWhat.textContent = 'Editing your message';
  ui.composeBar.hidden = false;
  ui.text.value = m.text;
  grow();
  fits();
  ui.text.focus();
}

/** resetCompose makes the box write a new message again. */
export function resetCompose() {
  Object.assign(compose, { mode: 'new', id: '' });
  ui.composeBar.hidden = true;
}

/** act queues a request that is not written in the box (a deletion, a reaction). */
export function act(req) {
  const v = view('room', session.room);
  const item = add(req, v.key);
  if (item && ready()) sendItem(item);
}

/** submit sends what the box holds, and empties it once it is on its way. */
function submit() {
  const text = ui.text.value;
  // Encryption (e2ee/outbound.js): /msg between accounts goes as a sealed private message.
  const msg = privateCommand(text);
  if (msg) {
    if (!session.welcomed) return;
    const pv = view('private', msg.to);
    const item = add({ type: 'private', to: msg.to, text: msg.text }, pv.key, text);
    if (!item) return;
    pending(item, pv, msg.text, ready() ? 'Sending…' : 'Will be sent when the connection is back');
    if (ready()) sendItem(item);
    ui.text.value = '';
    keepDraft();
    fits();
    return;
  }
  const v = currentView();
  if (text.trim() === '' || !v) return;
  if (!fits()) {
    ui.text.focus();
    return;
  }
  if (isCommand(text)) {
    if (!send(text)) return;
    if (/^\/join\s/i.test(text)) session.moving = true;
  } else {
    if (!session.welcomed) return; // kept in the box until the connection is back
    const req = request(v, text.startsWith('//') ? text.slice(1) : text);
    const item = add(req, v.key, text);
    if (!item) {
      append(v, noticeLine('Too many messages are waiting to be sent: wait for them'), '');
      return;
    }
    if (req.type !== 'edit') pending(item, v, req.text, ready() ? 'Sending…' : 'Will be sent when the connection is back');
    if (ready()) sendItem(item);
  }
  ui.text.value = '';
  keepDraft();
  resetCompose();
  grow();
  fits();
}

/** pending shows a message on its way as a line of its own, until the server has it. */
function pending(item, v, text, note) {
  item.li = messageLine({ name: session.name, text, time: new Date().toISOString(), mine: true, pending: note }, session.name, null);
  append(v, item.li, '');
}

/** note says where a message on its way stands. */
function note(item, words) {
  const n = item.li?.querySelector('.pending-note');
  if (n) n.textContent = words;
}

/** sendItem sends a request of the outbox. */
function sendItem(item) {
  // Encryption (e2ee/outbound.js): a request that must go sealed is sealed first.
  if (sealing(item.request)) {
    sendSealed(item, (words) => refused({ client_id: item.request.client_id, code: 'not-encrypted', text: words }));
    return;
  }
  item.sent = sendJSON(item.request);
}

/** flushOutbox sends what waits, oldest first, once the page has caught up: a reaction already as wanted is not sent again. */
export function flushOutbox() {
  clearTimeout(compose.retry);
  for (const item of [...outbox.items]) {
    const r = item.request;
    if (r.type === 'react' && reactedBy(r.id, r.emoji, session.name) === r.want) {
      settle(r.client_id);
      continue;
    }
    if (!item.li && (r.type === 'message' || r.type === 'private')) pending(item, view(...viewOf(item.view)), r.text, 'Sending…');
    sendItem(item);
  }
}

/** viewOf splits a view's key into its kind and name. */
function viewOf(k) {
  const i = k.indexOf(':');
  return [k.slice(0, i), k.slice(i + 1)];
}

/** offline marks what waits as waiting for the connection. */
export function offline() {
  clearTimeout(compose.retry);
  for (const item of outbox.items) {
    item.sent = false;
    note(item, 'Will be sent when the connection is back');
  }
}

/** settled takes a request the server answered out of the outbox. */
export function settled(cid) {
  const item = settle(cid);
  if (!item) return;
  if (item.li) removeLine(log.views.get(item.view) ?? view('room', session.room), item.li);
  if (session.away) {
    session.away = false;
    setStatus('Connected', 'ok');
    flushOutbox();
  }
}

/** AWAY is what the status says while the chat cannot reach its other servers. */
const AWAY = 'Connected, but the chat cannot reach its other servers: what you send waits and goes when it can';

/** tooBig takes the last request sent out of the outbox, the one the server closed the connection over, and gives its text back to the box. */
export function tooBig() {
  const item = [...outbox.items].reverse().find((i) => i.sent);
  if (!item) return;
  settled(item.request.client_id);
  if (item.text && ui.text.value === '') {
    ui.text.value = item.text;
    grow();
    fits();
  }
}

/**
 * refused handles the server's refusal of a request of the outbox: one
 * for now waits and goes again; one for good is taken out, said, and its
 * text given back to the box.
 */
export function refused(ev) {
  const item = find(ev.client_id);
  if (!item) return false;
  const words = typeof ev.text === 'string' ? ev.text : ev.code;
  if (FOR_NOW.has(ev.code)) {
    item.sent = false;
    note(item, `Not sent yet: ${words}. Trying again…`);
    if (ev.code === 'unavailable' && !item.told) {
      item.told = true;
      session.away = true;
      setStatus(AWAY, 'warn');
      append(log.views.get(item.view) ?? view('room', session.room), noticeLine(`Not sent yet: ${words}`), '');
    }
    clearTimeout(compose.retry);
    compose.retry = setTimeout(retryOne, ev.code === 'slow-down' ? SLOW_MS : RETRY_MS);
    return true;
  }
  settled(ev.client_id);
  // A deletion sent again after a reconnection finds its message gone: done.
  if (item.request.type === 'delete' && ev.code === 'no-such-message') return true;
  const v = log.views.get(item.view) ?? view('room', session.room);
  append(v, noticeLine(words), '');
  if (item.text && ui.text.value === '') {
    ui.text.value = item.text;
    grow();
    fits();
  }
  return true;
}

/** retryOne sends the oldest request that waits; once it goes through, the rest follow. */
function retryOne() {
  const item = outbox.items.find((i) => !i.sent);
  if (item && ready()) sendItem(item);
}

/** keepDraft keeps the box's text through a reload. */
function keepDraft() {
  try {
    sessionStorage.setItem(DRAFT, ui.text.value);
  } catch {
    // Storage may be off.
  }
}

/** restoreDraft puts back what the box held before a reload. */
export function restoreDraft() {
  try {
    const d = sessionStorage.getItem(DRAFT);
    if (d && ui.text.value === '') ui.text.value = d;
  } catch {
    // Nothing kept.
  }
  grow();
  fits();
}

/** setUpComposer wires the box. onTyping is told of each change in a room. */
export function setUpComposer(onTyping) {
  ui.sendForm.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  ui.text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === 'Escape' && compose.mode !== 'new') {
      if (compose.mode === 'edit') ui.text.value = '';
      resetCompose();
      fits();
    }
  });
  ui.text.addEventListener('input', () => {
    grow();
    fits();
    keepDraft();
    const v = currentView();
    if (v?.kind === 'room' && compose.mode !== 'edit' && ui.text.value.trim() !== '' && !ui.text.value.startsWith('/')) onTyping();
  });
  ui.composeCancel.addEventListener('click', () => {
    if (compose.mode === 'edit') ui.text.value = '';
    resetCompose();
    fits();
    ui.text.focus();
  });
}
