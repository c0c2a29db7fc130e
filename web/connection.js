// The connection: a socket at a time for the session's name and room,
// what the server sends on it, and what its closing means: a refusal, a
// leave, or a drop to recover from, with a reconnection that backs off.

import { ui } from './view.js';
import { session, LOBBY, setStatus, send } from './session.js';
import { noticeLine } from './lines.js';
import { log, key, view, append } from './log.js';
import { onMessage, onAction, onPrivate, onMention } from './messages.js';
import { flushOutbox, offline, settled, refused, tooBig } from './compose.js';
import { answered, dropRequests } from './finder.js';
import { showUnread } from './alerts.js';
import { keepName } from './keep.js';
import { auth, forget, scheduleRenew } from './auth.js';
import { CLOSE, NOT_LET_IN, closeWords, parseReason } from '/lib/protocol.js';
import { inbound } from './e2ee/inbound.js';
import { onWelcome, onModeration, onReport, REMOVED } from './moderation.js';
import { ROOMS_ID, askRooms, askRoomsSoon, stopRooms, gotRooms, show, showOnline, showSide, startTyping, stopTyping, clearTyping } from './people.js';

const FIRST_RETRY_MS = 1000; // the first wait before reconnecting
const MAX_RETRY_MS = 30000; // the longest wait: the delay doubles up to it
// How long a reconnection refused because the name is taken keeps trying.
// The server holds a name until it notices the old connection is gone,
// which for one that went quiet without closing (a phone gone offline)
// takes its keepalive up to three ping intervals: 90 s by default.
const TAKEN_RETRY_MS = 90000;
// A close reason starts with a code the page reacts to, then a colon and
// the words for the person: "name-taken: name "bob" is taken: choose
// another" (parseReason, of the client library). The codes are listed
// in docs/protocol.md; NOT_LET_IN are those that mean the token is no
// good: the person must log in again.
// The code of a name that is in use.
const TAKEN = 'name-taken';
// The client_id of the page's rooms requests: the first answer after a
const AWAY = 'Connected, but the chat cannot reach its other servers: what you send waits and goes when it can';

/** The reconnection's timers and backoff. */
const timers = { reconnect: 0, ticker: 0, delay: FIRST_RETRY_MS, takenSince: 0 };

/** chatURL returns the chat endpoint on this page's own host. */
function chatURL() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const q = new URLSearchParams({ name: session.name, room: session.room, format: 'json' });
  if (auth.token) q.set('token', auth.token);
  // Back in a room it saw, the page asks for what it missed since.
  const since = log.views.get(key('room', session.room))?.lastID;
  if (since) q.set('since', since);
  return `${scheme}//${location.host}/ws/chat?${q}`;
}

/** connect opens a socket for the session's name and room. */
export function connect() {
  stopTimers();
  const ws = new WebSocket(chatURL());
  Object.assign(session, { ws, welcomed: false, caughtUp: false, moving: false });
  setStatus(session.joinedOnce ? 'Reconnecting…' : `Connecting as ${session.name}…`, 'busy');
  ws.addEventListener('message', (ev) => {
    // Encryption (e2ee/inbound.js): sealed events are opened first, in order.
    if (ws === session.ws) inbound(ev.data, (data) => ws === session.ws && receive(data));
  });
  ws.addEventListener('close', (ev) => {
    if (ws === session.ws) closed(ev);
  });
}

/** receive handles one event from the server; unknown kinds are ignored. */
function receive(data) {
  let ev;
  try {
    ev = JSON.parse(data);
  } catch {
    return;
  }
  if (ev === null || typeof ev !== 'object') return;
  const str = (v) => (typeof v === 'string' ? v : '');
  const name = str(ev.name);
  const room = str(ev.room);
  const cid = str(ev.client_id);
  switch (ev.type) {
    case 'welcome':
      session.upload = str(ev.upload);
      onWelcome(ev);
      welcomed(name, room, Array.isArray(ev.online) ? ev.online.filter((n) => typeof n === 'string') : [name], ev.count);
      if (ev.recovered === false) append(view('room', session.room), noticeLine('Some messages from while you were away could not be recovered'), '');
      break;
    case 'join':
    case 'leave':
      if (!name || room.toLowerCase() !== session.room.toLowerCase()) return;
      if (ev.type === 'join') session.online.add(name);
      else session.online.delete(name);
      session.count = Math.max(session.count + (ev.type === 'join' ? 1 : -1), session.online.size);
      showOnline();
      append(view('room', session.room), noticeLine(`${name} ${ev.type === 'join' ? 'joined' : 'left'}`), '');
      askRoomsSoon();
      break;
    case 'count':
      // A crowded room counts who comes and goes rather than naming them.
      if (!Number.isInteger(ev.count) || room.toLowerCase() !== session.room.toLowerCase()) return;
      session.count = Math.max(ev.count, 1);
      showOnline();
      askRoomsSoon();
      break;
    case 'message':
    case 'file':
      if (ev.history !== true) stopTyping(name);
      onMessage(ev);
      if (cid) settled(cid);
      break;
    case 'private':
      onPrivate(ev);
      if (cid) settled(cid);
      break;
    case 'edit':
    case 'delete':
    case 'react':
      onAction(ev);
      if (cid) settled(cid);
      break;
    case 'ack':
      if (cid) settled(cid); // carried out, or taken before: a repeat is not done twice
      break;
    case 'mention':
      onMention(ev);
      break;
    case 'moderation':
      onModeration(ev);
      if (cid) settled(cid);
      if (ev.action === 'op' || ev.action === 'deop' || ev.action === 'droproom') showOnline();
      break;
    case 'report':
      onReport(ev);
      break;
    case 'typing':
      if (name && name !== session.name && room.toLowerCase() === session.room.toLowerCase()) startTyping(name);
      break;
    case 'rooms':
      if (Array.isArray(ev.rooms)) gotRooms(ev.rooms);
      back();
      if (!session.caughtUp) caughtUp();
      break;
    case 'history':
    case 'search':
      answered(ev);
      break;
    case 'error':
      if (ev.code === 'unavailable') away();
      if (cid === ROOMS_ID && !session.caughtUp) caughtUp();
      if (refused(ev) || answered(ev) || cid === ROOMS_ID) break;
      if (str(ev.text)) append(currentView(), noticeLine(str(ev.text)), '');
      break;
    case 'renewed':
      break; // the connection took the renewed token
    case 'notice':
    case 'who':
      if (str(ev.text)) append(currentView(), noticeLine(str(ev.text)), '');
      break;
  }
}

/** currentView is the view in the log, or the room's. */
export const currentView = () => log.views.get(log.current) ?? view('room', session.room);

/** welcomed starts the chat once the server took the name, or resumes it, or moves it to another room. */
function welcomed(name, room, online, count) {
  if (name) session.name = name; // the server's spelling
  const again = session.joinedOnce;
  // A second welcome on one connection is a move, however it was asked for (the room list, or /join typed).
  const moved = session.moving || session.welcomed;
  const from = session.room;
  if (moved) {
    session.seen.set(key('room', from), view('room', from).lastID);
    // Back in a room seen before, the replay starts where the room is now:
    // the view starts again with it, so it has no gap ("Show older" reads back).
    log.views.delete(key('room', room || LOBBY));
  }
  Object.assign(session, { welcomed: true, caughtUp: false, joinedOnce: true, moving: false, room: room || LOBBY, online: new Set(online),
    count: Math.max(Number.isInteger(count) ? count : 0, online.length) });
  timers.delay = FIRST_RETRY_MS;
  timers.takenSince = 0;
  clearTyping();
  history.replaceState(null, '', session.room.toLowerCase() === LOBBY ? '/' : `/?${new URLSearchParams({ room: session.room })}`);
  if (auth.mode === 'none') keepName(session.name, session.room);
  const v = view('room', session.room);
  if (moved || !log.current) show(v.key);
  else showSide();
  showOnline();
  showChat();
  ui.send.disabled = false;
  if (moved) {
    append(v, noticeLine(`You are in ${session.room}`), '');
    setStatus('Connected', 'ok');
  } else if (again) {
    setStatus('Reconnected', 'ok');
    append(v, noticeLine('Reconnected'), '');
  } else {
    setStatus('Connected', 'ok');
    append(v, noticeLine(`You joined ${session.room} as ${session.name}`), '');
    ui.text.focus();
  }
  scheduleRenew((token) => send(`/token ${token}`));
  askRooms();
}

/** away says the chat cannot reach its other servers (Redis) for now: the connection is up, but nothing goes. */
function away() {
  if (session.away) return;
  session.away = true;
  setStatus(AWAY, 'warn');
}

/** back says the chat reaches its other servers again. */
function back() {
  if (!session.away) return;
  session.away = false;
  setStatus('Connected', 'ok');
  flushOutbox();
}

/** caughtUp: the replay is through (the answer to the first rooms request comes after it), so what waits may go. */
function caughtUp() {
  session.caughtUp = true;
  flushOutbox();
}

/**
 * closed decides what a closed socket means: a refusal, a leave, or a drop
 * to recover from. A name found taken when reconnecting is most likely
 * still held by this page's own previous connection, so that is retried.
 */
function closed(ev) {
  const wasWelcomed = session.welcomed;
  Object.assign(session, { ws: null, welcomed: false, caughtUp: false, moving: false, away: false });
  stopRooms();
  clearTyping();
  dropRequests();
  ui.send.disabled = true;
  // Nothing written is lost: a message the server refused as too long
  // goes back in the box; what else was on its way waits for the next
  // connection.
  if (ev.code === CLOSE.TOO_BIG) tooBig();
  offline();
  showOnline();
  showSide();
  const { code, words } = parseReason(ev.reason);
  if (ev.code === CLOSE.POLICY && NOT_LET_IN.has(code)) {
    forget();
    backToJoin(`Please log in again — ${words}`);
    return;
  }
  if (ev.code === CLOSE.POLICY && REMOVED.has(code)) {
    // Kicked or banned: not back in by itself; the join form says why.
    backToJoin(words);
    if (code === 'banned') ui.joinRoom.value = '';
    return;
  }
  if (ev.code === CLOSE.POLICY && !wasWelcomed) {
    if (session.joinedOnce && code === TAKEN) stillTaken(words);
    else backToJoin(`Could not join — ${words || 'the server refused this name'}`);
    return;
  }
  timers.takenSince = 0;
  const why = words || closeWords[ev.code] || (ev.code === CLOSE.ABNORMAL ? '' : `close code ${ev.code}`);
  if (!session.joinedOnce) {
    backToJoin(`Could not connect${why ? ` — ${why}` : ''}. ${originAdvice() || 'Please try again.'}`);
    return;
  }
  if (wasWelcomed) append(currentView(), noticeLine(`Connection lost${why ? `: ${why}` : ''}`), '');
  const lost = why ? `Connection lost (${why})` : 'Connection lost';
  scheduleReconnect((left) => `${lost} — reconnecting in ${left} s…`);
}

/**
 * originAdvice says why a page may not connect at all: the server takes
 * connections only from pages at the hosts -origins lists, and a browser
 * tells a page nothing of the refusal. It returns '' when that is not it.
 */
function originAdvice() {
  if (auth.origins.length === 0) return '';
  const host = location.host.toLowerCase();
  const hostname = location.hostname.toLowerCase();
  if (auth.origins.some((o) => o.toLowerCase() === host || o.toLowerCase() === hostname)) return '';
  return `This server takes connections only from pages at ${auth.origins.join(', ')} (its -origins), and this page is at ${location.host}: open the chat at one of those addresses, or ask whoever runs the server to add ${location.host}.`;
}

/**
 * stillTaken handles a reconnection refused because the name is taken: it
 * tries again, backing off, until TAKEN_RETRY_MS after the first such
 * refusal, the last try at that time; then it goes back to the join form.
 */
function stillTaken(reason) {
  const now = Date.now();
  const secs = Math.round(TAKEN_RETRY_MS / 1000);
  if (!timers.takenSince) {
    timers.takenSince = now;
    append(currentView(), noticeLine(`Your previous connection is still open on the server, which keeps your name until it notices that connection is gone; trying again for up to ${secs} s`), '');
  }
  const left = timers.takenSince + TAKEN_RETRY_MS - now;
  if (left <= 0) {
    backToJoin(`Could not reconnect — ${reason}. The server still had your previous connection open after ${secs} s.`);
    return;
  }
  scheduleReconnect((s) => `Your previous connection is still open on the server; retrying in ${s} s…`, Math.min(timers.delay, left));
}

/** backToJoin goes back to the join form, saying why. */
export function backToJoin(why) {
  const { name, room } = session;
  resetSession();
  showJoin();
  setStatus('');
  ui.joinError.textContent = why;
  ui.name.value = name;
  ui.joinRoom.value = room.toLowerCase() === LOBBY ? '' : room;
  ui.name.focus();
  ui.name.select();
}

/**
 * scheduleReconnect waits wait ms (the delay unless shorter), counting
 * down in the status as say(seconds left), then connects again; each
 * delay doubles.
 */
function scheduleReconnect(say, wait = timers.delay) {
  stopTimers();
  timers.delay = Math.min(timers.delay * 2, MAX_RETRY_MS);
  let left = Math.ceil(wait / 1000);
  const tell = () => setStatus(say(left), 'warn');
  tell();
  ui.retry.hidden = false;
  timers.ticker = setInterval(() => {
    left = Math.max(left - 1, 1);
    tell();
  }, 1000);
  timers.reconnect = setTimeout(connect, wait);
}

/** stopTimers cancels a pending reconnection. */
export function stopTimers() {
  clearTimeout(timers.reconnect);
  clearInterval(timers.ticker);
  timers.reconnect = 0;
  timers.ticker = 0;
  ui.retry.hidden = true;
}

/** resetSession forgets the name, the room and the views, and closes any socket, without reconnecting. */
export function resetSession() {
  stopTimers();
  stopRooms();
  clearTyping();
  dropRequests();
  const ws = session.ws;
  Object.assign(session, {
    ws: null, name: '', room: LOBBY, welcomed: false, caughtUp: false, joinedOnce: false, moving: false,
    online: new Set(), count: 0, rooms: [], seen: new Map(), away: false, mentionedElsewhere: false, topic: '', role: '',
  });
  timers.delay = FIRST_RETRY_MS;
  timers.takenSince = 0;
  log.views.clear();
  log.current = '';
  ui.log.replaceChildren();
  showUnread(0, false, 0);
  if (ws) ws.close(CLOSE.NORMAL, 'left');
}

/** showJoin shows the join form. */
export function showJoin() {
  ui.chatView.hidden = true;
  ui.me.hidden = true;
  ui.joinView.hidden = false;
  ui.join.disabled = false;
}

/** showChat shows the chat for the session's name. */
export function showChat() {
  ui.joinView.hidden = true;
  ui.chatView.hidden = false;
  ui.meName.textContent = session.name;
  ui.me.hidden = false;
}
