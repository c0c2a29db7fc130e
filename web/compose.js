// Writing: the message box (Enter sends, Shift+Enter starts a new line),
// answering or editing a message, and the requests on their way through
// the client library's outbox until the server answers them, each shown
// as a line of its own. Each carries, as its tag, the view it was written
// in and its text. A request the server refused for now waits and goes
// again (the library sends it); one it refused for good gives its text
// back to the box.

import { ui, renderLimit } from './view.js';
import { session, send, away, back } from './session.js';
import { messageLine, noticeLine, snippet } from './lines.js';
import { append, log, removeLine, view } from './log.js';
import { reactedBy } from './messages.js';
import { auth } from './auth.js';
import { TOO_BIG, newClientID } from '/lib/protocol.js';
import { MAX_OUTBOX } from '/lib/outbox.js';
import { privateCommand } from './e2ee/outbound.js';

const DRAFT = 'wschat.draft'; // the box's text, kept through a reload
const OFFLINE = 'Will be sent when the connection is back';

/** The lines of the messages on their way, by client_id. */
const lines = new Map();
/** The requests whose wait for the other servers was said already, by client_id. */
const told = new Set();

const encoder = new TextEncoder();

/** What the box is for: a new message, an answer to one, or an edit of one's own. */
export const compose = { mode: 'new', id: '' };

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

/** act queues a request that is not written in the box (a deletion, a reaction: want says whether it should be on). */
export function act(req) {
  const c = session.client;
  if (!c) return;
  const tag = { view: view('room', session.room).key, ...(req.type === 'react' ? { want: req.want } : {}) };
  const p = req.type === 'delete' ? c.remove(req.id, { tag }) : c.react(req.id, req.emoji, { tag });
  p.catch(() => {}); // its answer comes as a settled event
}

/**
 * queue puts a request written in view v through the outbox, showing a
 * message on its way as a line; text is what goes back to the box if it
 * is refused. It reports whether the request was taken.
 */
function queue(req, v, text) {
  const c = session.client;
  if (!c) return false;
  if (c.waiting().length >= MAX_OUTBOX) {
    append(v, noticeLine('Too many messages are waiting to be sent: wait for them'), '');
    return false;
  }
  const clientID = newClientID();
  const tag = { view: v.key, text };
  if (req.type !== 'edit') pending(clientID, v, req.text, c.caughtUp ? 'Sending…' : OFFLINE);
  let p;
  if (req.type === 'private') p = c.sendPrivate(req.to, req.text, { clientID, tag });
  else if (req.type === 'edit') p = c.edit(req.id, req.text, { tag });
  else p = c.send(req.text, { replyTo: req.reply_to, clientID, tag });
  p.catch(() => {}); // its answer comes as a settled event
  return true;
}

/** submit sends what the box holds, and empties it once it is on its way. */
function submit() {
  const text = ui.text.value;
  // Encryption (e2ee/outbound.js): /msg between accounts goes as a sealed private message.
  const msg = privateCommand(text);
  if (msg) {
    if (!session.welcomed) return;
    if (!queue({ type: 'private', to: msg.to, text: msg.text }, view('private', msg.to), text)) return;
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
    if (!queue(request(v, text.startsWith('//') ? text.slice(1) : text), v, text)) return;
  }
  ui.text.value = '';
  keepDraft();
  resetCompose();
  grow();
  fits();
}

/** pending shows the message cid on its way as a line of its own in v, until the server has it. */
function pending(cid, v, text, note) {
  const li = messageLine({ name: session.name, text, time: new Date().toISOString(), mine: true, pending: note }, session.name, null);
  lines.set(cid, li);
  append(v, li, '');
}

/** note says where the message cid on its way stands. */
function note(cid, words) {
  const n = lines.get(cid)?.querySelector('.pending-note');
  if (n) n.textContent = words;
}

/** viewOf is the view whose key is k: kept from before a reload, it may need making again. */
function viewOf(k) {
  const i = typeof k === 'string' ? k.indexOf(':') : -1;
  if (i < 0) return view('room', session.room);
  return log.views.get(k) ?? view(k.slice(0, i), k.slice(i + 1));
}

/**
 * caughtUpOutbox readies what waits to go, now that the replay is
 * through: a reaction already as wanted is taken back, and a message
 * kept from before a reload is shown on its way again. The library sends
 * the rest once this returns.
 */
export function caughtUpOutbox() {
  const c = session.client;
  for (const { request: r, tag } of c.waiting()) {
    if (r.type === 'react' && reactedBy(r.id, r.emoji, session.name) === tag?.want) {
      c.cancel(r.client_id);
      continue;
    }
    if (!lines.has(r.client_id) && (r.type === 'message' || r.type === 'private') && r.text) pending(r.client_id, viewOf(tag?.view), r.text, 'Sending…');
    else note(r.client_id, 'Sending…');
  }
}

/** offline marks what waits as waiting for the connection. */
export function offline() {
  for (const cid of lines.keys()) note(cid, OFFLINE);
}

/** forgetLines forgets the lines of what waits: the page left the chat. */
export function forgetLines() {
  lines.clear();
  told.clear();
}

/**
 * settled takes a request the server answered, or refused for good, out
 * of sight: a refusal is said, and its text given back to the box (a
 * message too big closed the connection, which said so already).
 */
export function settled({ client_id: cid, request, tag, error }) {
  const li = lines.get(cid);
  lines.delete(cid);
  told.delete(cid);
  const v = viewOf(tag?.view);
  if (li) removeLine(v, li);
  if (!error) {
    back();
    return;
  }
  if (error.code === 'cancelled') return;
  if (error.code !== TOO_BIG) append(v, noticeLine(error.message), '');
  if (typeof tag?.text === 'string' && tag.text !== '' && ui.text.value === '') {
    ui.text.value = tag.text;
    grow();
    fits();
  }
}

/** notYet shows a request the server could not carry out for now: the library sends it again. */
export function notYet({ client_id: cid, code, text }) {
  const words = text || code;
  note(cid, `Not sent yet: ${words}. Trying again…`);
  if (code !== 'unavailable' || told.has(cid)) return;
  told.add(cid);
  away();
  const w = session.client?.waiting().find((x) => x.request.client_id === cid);
  append(viewOf(w?.tag?.view), noticeLine(`Not sent yet: ${words}`), '');
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
