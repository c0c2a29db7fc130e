// The connection, as the page shows it: the client library's ChatClient
// (/lib/client.js) keeps it up for the session's name and room (it
// reconnects with backoff, asks for what was missed, hands each message
// over once, and sends the outbox once), and the page shows what its
// events mean: the server's events in the log, the countdown to the next
// attempt, and a close for good (a refusal, a kick or a ban, a name still
// taken after 90 s) as the join form saying why.

import { ui } from './view.js';
import { session, LOBBY, setStatus, away, back } from './session.js';
import { noticeLine } from './lines.js';
import { log, key, view, append } from './log.js';
import { onMessage, onAction, onPrivate, onMention } from './messages.js';
import { caughtUpOutbox, offline, settled, notYet, forgetLines } from './compose.js';
import { outboxStore } from './outbox.js';
import { answered, dropRequests } from './finder.js';
import { showUnread } from './alerts.js';
import { keepName } from './keep.js';
import { auth, forget, renewal, use } from './auth.js';
import { ChatClient } from '/lib/client.js';
import { CLOSE, NOT_LET_IN, TAKEN, TAKEN_RETRY_MS, closeWords } from '/lib/protocol.js';
import { inbound } from './e2ee/inbound.js';
import { outbound } from './e2ee/outbound.js';
import { onWelcome, onModeration, onReport, REMOVED } from './moderation.js';
import { ROOMS_ID, askRooms, askRoomsSoon, stopRooms, gotRooms, show, showOnline, showSide, startTyping, stopTyping, clearTyping } from './people.js';

// A close reason starts with a code the page reacts to (docs/protocol.md,
// "Codes"): the library gives it as the state event's code, with the
// words for the person.
const TAKEN_SECS = TAKEN_RETRY_MS / 1000; // how long the library retries a name still taken by the page's own previous connection
// The server's events the page shows; the library handles the rest
// (welcome, ack, error) and hands them over as events of its own.
const EVENTS = ['join', 'leave', 'message', 'file', 'private', 'edit', 'delete', 'react', 'mention', 'moderation',
  'report', 'typing', 'rooms', 'history', 'search', 'notice', 'who', 'count'];

/** The countdown to the next attempt, and whether the last refusal was the name still taken. */
const countdown = { ticker: 0, taken: false };

/** connect makes the session's client (name, room, token, the outbox kept for the name) and connects it. */
export function connect() {
  stopCountdown();
  const store = outboxStore(session.name);
  const c = new ChatClient({
    name: session.name,
    room: session.room,
    token: auth.token,
    since: log.views.get(key('room', session.room))?.lastID,
    renewToken: renewal(),
    // The waits double from 1 s to 30 s, exactly: the countdown says them.
    random: () => 1,
    outbox: store,
    inbound, // encryption (e2ee/): sealed events are opened first, in order
    outbound, // and sealed requests sealed, in order
  });
  Object.assign(session, { client: c, store, welcomed: false, caughtUp: false, moving: false });
  countdown.taken = false;
  const on = (type, fn) => c.on(type, (ev) => c === session.client && fn(ev));
  for (const type of EVENTS) on(type, receive);
  on('welcome', welcomed);
  on('caughtup', caughtUp);
  on('state', changed);
  on('refusal', refusal);
  on('settled', settled);
  on('token', ({ token }) => use(token));
  c.connect();
}

/** receive shows one event from the server; unknown kinds are ignored. */
function receive(ev) {
  const str = (v) => (typeof v === 'string' ? v : '');
  const name = str(ev.name);
  const room = str(ev.room);
  switch (ev.type) {
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
      break;
    case 'private':
      onPrivate(ev);
      break;
    case 'edit':
    case 'delete':
    case 'react':
      onAction(ev);
      break;
    case 'mention':
      onMention(ev);
      break;
    case 'moderation':
      onModeration(ev);
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
      break;
    case 'history':
    case 'search':
      answered(ev);
      break;
    case 'notice':
    case 'who':
      if (str(ev.text)) append(currentView(), noticeLine(str(ev.text)), '');
      break;
  }
}

/** refusal shows a refusal no request of the outbox took: of the page's own requests, or of one for now; a renewal that failed is tried again quietly. */
function refusal(ev) {
  if (ev.renewal) return;
  if (ev.code === 'unavailable') away();
  if (ev.for_now) {
    notYet(ev);
    return;
  }
  if (answered({ type: 'error', ...ev }) || ev.client_id === ROOMS_ID) return;
  if (ev.text) append(currentView(), noticeLine(ev.text), '');
}

/** currentView is the view in the log, or the room's. */
export const currentView = () => log.views.get(log.current) ?? view('room', session.room);

/** welcomed starts the chat once the server took the name, or resumes it, or moves it to another room. */
function welcomed(ev) {
  const str = (v) => (typeof v === 'string' ? v : '');
  session.upload = str(ev.upload);
  onWelcome(ev);
  const name = str(ev.name);
  const room = str(ev.room);
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
  const online = Array.isArray(ev.online) ? ev.online.filter((n) => typeof n === 'string') : [name];
  Object.assign(session, { welcomed: true, caughtUp: false, joinedOnce: true, moving: false, room: room || LOBBY, online: new Set(online),
    count: Math.max(Number.isInteger(ev.count) ? ev.count : 0, online.length) });
  countdown.taken = false;
  stopCountdown();
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
  if (ev.recovered === false) append(v, noticeLine('Some messages from while you were away could not be recovered'), '');
  askRooms();
}

/** caughtUp: the replay is through, so what waits may go (the library sends it once this returns). */
function caughtUp() {
  session.caughtUp = true;
  caughtUpOutbox();
}

/** changed follows the client's state: connecting, and what a closed connection means. */
function changed(s) {
  if (s.state === 'connecting') {
    stopCountdown();
    setStatus(s.again ? 'Reconnecting…' : `Connecting as ${session.name}…`, 'busy');
    return;
  }
  if (s.state === 'reconnecting') {
    const wasWelcomed = lost();
    reconnecting(s, wasWelcomed);
  } else if (s.state === 'closed') {
    lost();
    closed(s);
  }
}

/** lost takes down what needs the connection; it reports whether the connection had been welcomed. */
function lost() {
  const wasWelcomed = session.welcomed;
  Object.assign(session, { welcomed: false, caughtUp: false, moving: false, away: false });
  stopRooms();
  clearTyping();
  dropRequests();
  ui.send.disabled = true;
  offline();
  showOnline();
  showSide();
  return wasWelcomed;
}

/**
 * reconnecting shows a reconnection on its way: why the connection
 * ended, and a countdown to the next attempt. A name found taken when
 * reconnecting is most likely still held by this page's own previous
 * connection: the library retries it for 90 s.
 */
function reconnecting(s, wasWelcomed) {
  const why = s.text || closeWords[s.close] || (s.close === CLOSE.ABNORMAL ? '' : `close code ${s.close}`);
  if (!session.joinedOnce) {
    backToJoin(`Could not connect${why ? ` — ${why}` : ''}. ${originAdvice() || 'Please try again.'}`);
    return;
  }
  if (s.code === TAKEN) {
    if (!countdown.taken) {
      countdown.taken = true;
      append(currentView(), noticeLine(`Your previous connection is still open on the server, which keeps your name until it notices that connection is gone; trying again for up to ${TAKEN_SECS} s`), '');
    }
    tick(s.at, (left) => `Your previous connection is still open on the server; retrying in ${left} s…`);
    return;
  }
  countdown.taken = false;
  if (wasWelcomed) append(currentView(), noticeLine(`Connection lost${why ? `: ${why}` : ''}`), '');
  const lostWords = why ? `Connection lost (${why})` : 'Connection lost';
  tick(s.at, (left) => `${lostWords} — reconnecting in ${left} s…`);
}

/** closed shows why the client stopped for good, on the join form. */
function closed(s) {
  const words = s.text ?? '';
  if (NOT_LET_IN.has(s.code)) {
    forget();
    backToJoin(`Please log in again — ${words}`);
  } else if (REMOVED.has(s.code)) {
    // Kicked or banned: not back in by itself; the join form says why.
    backToJoin(words);
    if (s.code === 'banned') ui.joinRoom.value = '';
  } else if (s.code === TAKEN && session.joinedOnce) {
    backToJoin(`Could not reconnect — ${words}. The server still had your previous connection open after ${TAKEN_SECS} s.`);
  } else if (s.code !== 'closed') {
    backToJoin(`Could not join — ${words || 'the server refused this name'}`);
  }
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

/** tick counts down in the status to at, the next attempt, as say(seconds left), and offers to retry now. */
function tick(at, say) {
  stopCountdown();
  const tell = () => setStatus(say(Math.max(1, Math.ceil((at - Date.now()) / 1000))), 'warn');
  tell();
  ui.retry.hidden = false;
  countdown.ticker = setInterval(tell, 1000);
}

/** stopCountdown stops the countdown. */
function stopCountdown() {
  clearInterval(countdown.ticker);
  countdown.ticker = 0;
  ui.retry.hidden = true;
}

/** retryNow connects at once when a reconnection waits. */
export function retryNow() {
  session.client?.retryNow();
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
 * resetSession forgets the name, the room and the views, and lets the
 * client go without reconnecting; what its outbox kept stays for the
 * next visit under the name.
 */
export function resetSession() {
  stopCountdown();
  stopRooms();
  clearTyping();
  dropRequests();
  forgetLines();
  const { client, store } = session;
  if (store) store.live = false;
  Object.assign(session, {
    client: null, store: null, name: '', room: LOBBY, welcomed: false, caughtUp: false, joinedOnce: false, moving: false,
    online: new Set(), count: 0, rooms: [], seen: new Map(), away: false, mentionedElsewhere: false, topic: '', role: '',
  });
  log.views.clear();
  log.current = '';
  ui.log.replaceChildren();
  showUnread(0, false, 0);
  client?.close();
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
