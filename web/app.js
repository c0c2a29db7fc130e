// The wschat page: join under a name in a room, then show what the chat
// sends and send what the person writes. It speaks the JSON format of
// /ws/chat, and sends JSON requests with a client_id (outbox.js); what
// kind of line something becomes (a message or a notice, and whose)
// comes from the JSON fields, never from the text.
//
// The connection is in one room at a time. The log shows one view: the
// room, or a private conversation with one person. Unread counts: a
// view not in sight counts what arrived meanwhile, and so does the one in
// sight while the tab is hidden; another room counts the messages since
// the person was last there (or first saw it listed), which the server
// tells from the id of the last one seen (a rooms request).

import { ui, renderOnline, renderRooms, renderConvs } from './view.js';
import { session, LOBBY, setStatus, send, sendJSON } from './session.js';
import { noticeLine } from './lines.js';
import { log, key, view, fill, append, followEnd, showOlder } from './log.js';
import { hooks, onMessage, onAction, onPrivate, onMention, restorePrivate, roomKey } from './messages.js';
import { setUpComposer, startReply, startEdit, resetCompose, act, fits, flushOutbox, offline, settled, refused, tooBig, restoreDraft } from './compose.js';
import { setUpFinder, answered, dropRequests, closeSearch } from './finder.js';
import { showUnread, setUpNotifications } from './alerts.js';
import { setUpSharing } from './share.js';
import { restore as restoreOutbox, forget as forgetOutbox } from './outbox.js';
import { keepName, keptName, forgetKept } from './keep.js';
import { auth, loadConfig, restore, forget, enter, scheduleRenew, offeredName, takeOffered } from './auth.js';

const FIRST_RETRY_MS = 1000; // the first wait before reconnecting
const MAX_RETRY_MS = 30000; // the longest wait: the delay doubles up to it
// How long a reconnection refused because the name is taken keeps trying.
// The server holds a name until it notices the old connection is gone,
// which for one that went quiet without closing (a phone gone offline)
// takes its keepalive up to three ping intervals: 90 s by default.
const TAKEN_RETRY_MS = 90000;
const ROOMS_EVERY_MS = 10000; // how often the room list is asked for
const ROOMS_SOON_MS = 1000; // and how soon after someone comes or goes
const TYPING_EVERY_MS = 2000; // the server passes on one typing event per 2 s
const TYPING_SHOWN_MS = 3000; // how long "alice is typing…" stays without news
const CLOSE_POLICY = 1008; // a refused name; later in a session, too slow
const CLOSE_NORMAL = 1000;
const CLOSE_ABNORMAL = 1006; // no close frame: the connection just dropped
const CLOSE_TOO_BIG = 1009; // a message was over the server's limit
// A close reason starts with a code the page reacts to, then a colon and
// the words for the person: "name-taken: name "bob" is taken: choose
// another". The codes are listed in the README.
const REASON = /^([a-z][a-z-]*): (.*)$/s;
// The code of a name that is in use.
const TAKEN = 'name-taken';
// Codes that mean the token is no good: the person must log in again.
const NOT_LET_IN = new Set(['auth-required', 'token-expired']);
// The client_id of the page's rooms requests: the first answer after a
// welcome, or a refusal of it, says the replay is through.
const ROOMS_ID = 'rooms';
const AWAY = 'Connected, but the chat cannot reach its other servers: what you send waits and goes when it can';

/** Plain words for the close codes the server sends. */
const closeWords = {
  1001: 'the server is shutting down',
  1003: 'the server takes text messages only',
  1007: 'a message was not valid text',
  1008: 'the server dropped this connection',
  1009: 'a message was too long for the server',
  1011: 'the server had a problem',
};

/** Timers and what goes with them, apart from the session's state. */
const timers = { reconnect: 0, ticker: 0, rooms: 0, roomsSoon: 0, delay: FIRST_RETRY_MS, takenSince: 0, typingSent: 0, typers: new Map() };

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
function connect() {
  stopTimers();
  const ws = new WebSocket(chatURL());
  Object.assign(session, { ws, welcomed: false, caughtUp: false, moving: false });
  setStatus(session.joinedOnce ? 'Reconnecting…' : `Connecting as ${session.name}…`, 'busy');
  ws.addEventListener('message', (ev) => {
    if (ws === session.ws) receive(ev.data);
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
      welcomed(name, room, Array.isArray(ev.online) ? ev.online.filter((n) => typeof n === 'string') : [name]);
      if (ev.recovered === false) append(view('room', session.room), noticeLine('Some messages from while you were away could not be recovered'), '');
      break;
    case 'join':
    case 'leave':
      if (!name || room.toLowerCase() !== session.room.toLowerCase()) return;
      if (ev.type === 'join') session.online.add(name);
      else session.online.delete(name);
      showOnline();
      append(view('room', session.room), noticeLine(`${name} ${ev.type === 'join' ? 'joined' : 'left'}`), '');
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
    case 'mention':
      onMention(ev);
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
const currentView = () => log.views.get(log.current) ?? view('room', session.room);

/** welcomed starts the chat once the server took the name, or resumes it, or moves it to another room. */
function welcomed(name, room, online) {
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
  Object.assign(session, { welcomed: true, caughtUp: false, joinedOnce: true, moving: false, room: room || LOBBY, online: new Set(online) });
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

/** askRooms asks for the room list now, and again every so often while connected, saying what was seen in each room. */
function askRooms() {
  clearTimeout(timers.rooms);
  clearTimeout(timers.roomsSoon);
  timers.roomsSoon = 0;
  const seen = {};
  for (const r of session.rooms) {
    const k = key('room', r.name);
    const id = k === roomKey() ? view('room', session.room).lastID : session.seen.get(k);
    seen[r.name] = id || '0-0';
  }
  if (!sendJSON({ type: 'rooms', seen, client_id: ROOMS_ID })) return;
  timers.rooms = setTimeout(askRooms, ROOMS_EVERY_MS);
}

/** askRoomsSoon asks for the room list shortly, once for a crowd coming or going. */
function askRoomsSoon() {
  if (!timers.roomsSoon) timers.roomsSoon = setTimeout(askRooms, ROOMS_SOON_MS);
}

/** gotRooms takes a rooms answer: a room seen for the first time counts from its latest message. */
function gotRooms(rooms) {
  session.rooms = rooms.filter((r) => r && typeof r.name === 'string' && Number.isInteger(r.count)).slice(0, 100);
  for (const r of session.rooms) {
    const k = key('room', r.name);
    if (!session.seen.has(k)) session.seen.set(k, typeof r.last === 'string' ? r.last : '0-0');
  }
  showSide();
}

/** show puts a view in the log. */
function show(k) {
  const v = log.views.get(k);
  if (!v) return;
  fill(v);
  v.unread = 0;
  v.mentioned = false;
  showOlder(v);
  closeSearch();
  ui.searchToggle.hidden = v.kind !== 'room';
  ui.viewTitle.textContent = v.kind === 'room' ? `# ${v.name}` : `Private with ${v.name}`;
  ui.text.placeholder = v.kind === 'room' ? `Message ${v.name}…` : `Message ${v.name} privately…`;
  resetCompose();
  fits();
  showTyping();
  showSide();
}

/** showOnline lists who is in the room. */
function showOnline() {
  renderOnline(session.online, session.name, session.room, (name) => {
    view('private', name);
    show(key('private', name));
    closeSide();
    ui.text.focus();
  }, !session.welcomed);
}

/** showSide lists the rooms and the private conversations, with what is unread, and counts it for the title. */
function showSide() {
  const hereKey = roomKey();
  const rooms = session.rooms.map((r) => {
    const k = key('room', r.name);
    const here = k === hereKey;
    const v = log.views.get(k);
    return {
      name: r.name, count: here ? session.online.size : r.count, current: k === log.current,
      unread: here ? v?.unread ?? 0 : Number.isInteger(r.unread) ? r.unread : 0, more: !here && r.unread_more === true,
    };
  });
  renderRooms(rooms, goToRoom, !session.welcomed);
  const convs = [...log.views.values()].filter((v) => v.kind === 'private')
    .map((v) => ({ name: v.name, unread: v.unread, current: v.key === log.current }));
  renderConvs(convs, (name) => {
    show(key('private', name));
    closeSide();
  });
  const views = [...log.views.values()];
  const elsewhere = rooms.filter((r) => !r.current).reduce((n, r) => n + r.unread, 0)
    + convs.filter((c) => !c.current).reduce((n, c) => n + c.unread, 0);
  const here = log.views.get(log.current)?.unread ?? 0;
  showUnread(elsewhere + here, session.mentionedElsewhere || views.some((v) => v.mentioned), elsewhere);
}

/** goToRoom shows the room, moving the connection there first when it is elsewhere. */
function goToRoom(name) {
  closeSide();
  if (name.toLowerCase() === session.room.toLowerCase()) {
    show(roomKey());
    return;
  }
  if (send(`/join ${name}`)) session.moving = true;
}

/** startTyping shows that name is typing, until they send or go quiet. */
function startTyping(name) {
  clearTimeout(timers.typers.get(name));
  timers.typers.set(name, setTimeout(() => stopTyping(name), TYPING_SHOWN_MS));
  showTyping();
}

function stopTyping(name) {
  if (!timers.typers.has(name)) return;
  clearTimeout(timers.typers.get(name));
  timers.typers.delete(name);
  showTyping();
}

function clearTyping() {
  for (const t of timers.typers.values()) clearTimeout(t);
  timers.typers.clear();
  showTyping();
}

/** showTyping says who is typing in the room, under the log of the room. */
function showTyping() {
  const names = [...timers.typers.keys()];
  const inRoom = log.current === roomKey();
  ui.typing.textContent = !inRoom || names.length === 0 ? ''
    : names.length === 1 ? `${names[0]} is typing…`
      : names.length === 2 ? `${names[0]} and ${names[1]} are typing…`
        : 'Several people are typing…';
}

/**
 * closed decides what a closed socket means: a refusal, a leave, or a drop
 * to recover from. A name found taken when reconnecting is most likely
 * still held by this page's own previous connection, so that is retried.
 */
function closed(ev) {
  const wasWelcomed = session.welcomed;
  Object.assign(session, { ws: null, welcomed: false, caughtUp: false, moving: false, away: false });
  clearTimeout(timers.rooms);
  clearTimeout(timers.roomsSoon);
  timers.roomsSoon = 0;
  clearTyping();
  dropRequests();
  ui.send.disabled = true;
  // Nothing written is lost: a message the server refused as too long
  // goes back in the box; what else was on its way waits for the next
  // connection.
  if (ev.code === CLOSE_TOO_BIG) tooBig();
  offline();
  showOnline();
  showSide();
  const [, code, words] = REASON.exec(ev.reason) || [, '', ev.reason];
  if (ev.code === CLOSE_POLICY && NOT_LET_IN.has(code)) {
    forget();
    backToJoin(`Please log in again — ${words}`);
    return;
  }
  if (ev.code === CLOSE_POLICY && !wasWelcomed) {
    if (session.joinedOnce && code === TAKEN) stillTaken(words);
    else backToJoin(`Could not join — ${words || 'the server refused this name'}`);
    return;
  }
  timers.takenSince = 0;
  const why = words || closeWords[ev.code] || (ev.code === CLOSE_ABNORMAL ? '' : `close code ${ev.code}`);
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
function backToJoin(why) {
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
function stopTimers() {
  clearTimeout(timers.reconnect);
  clearInterval(timers.ticker);
  timers.reconnect = 0;
  timers.ticker = 0;
  ui.retry.hidden = true;
}

/** resetSession forgets the name, the room and the views, and closes any socket, without reconnecting. */
function resetSession() {
  stopTimers();
  clearTimeout(timers.rooms);
  clearTyping();
  dropRequests();
  const ws = session.ws;
  Object.assign(session, {
    ws: null, name: '', room: LOBBY, welcomed: false, caughtUp: false, joinedOnce: false, moving: false,
    online: new Set(), rooms: [], seen: new Map(), away: false, mentionedElsewhere: false,
  });
  timers.delay = FIRST_RETRY_MS;
  timers.takenSince = 0;
  log.views.clear();
  log.current = '';
  ui.log.replaceChildren();
  showUnread(0, false, 0);
  if (ws) ws.close(CLOSE_NORMAL, 'left');
}

/**
 * offer shows the token a link brought, for the person to take or not: a
 * link alone never changes who is logged in. current is who is logged in
 * now, or ''.
 */
function offer(name, current) {
  showJoin();
  ui.tokenOfferText.textContent = current
    ? `The link you followed would log you in as ${name}. You are logged in as ${current}.`
    : `The link you followed would log you in as ${name}.`;
  ui.tokenAccept.textContent = `Continue as ${name}`;
  ui.tokenOffer.hidden = false;
  ui.tokenAccept.onclick = () => {
    ui.tokenOffer.hidden = true;
    takeOffered();
    join(auth.name);
  };
  ui.tokenDecline.onclick = () => {
    ui.tokenOffer.hidden = true;
    auth.offered = '';
    if (current) join(current);
  };
}

/** showJoin shows the join form. */
function showJoin() {
  ui.chatView.hidden = true;
  ui.me.hidden = true;
  ui.joinView.hidden = false;
  ui.join.disabled = false;
}

/** showChat shows the chat for the session's name. */
function showChat() {
  ui.joinView.hidden = true;
  ui.chatView.hidden = false;
  ui.meName.textContent = session.name;
  ui.me.hidden = false;
}

/** On a narrow screen the rooms and people fold away behind a button. */
function closeSide() {
  ui.side.classList.remove('open');
  ui.sideToggle.setAttribute('aria-expanded', 'false');
}

/** join connects under a name, in room: the one typed, or the account's, or the one kept from the last visit. */
function join(name, room = ui.joinRoom.value.trim()) {
  ui.joinError.textContent = '';
  ui.log.replaceChildren();
  session.name = name;
  session.room = room || LOBBY;
  restoreOutbox(name);
  restorePrivate();
  restoreDraft();
  connect();
}

/** logIn logs in to an account, or registers one, then joins. */
async function logIn(path) {
  const name = ui.name.value.trim();
  if (name === '' || ui.password.value === '') {
    ui.joinError.textContent = 'Please give your name and password.';
    return;
  }
  ui.login.disabled = ui.register.disabled = true;
  const why = await enter(path, name, ui.password.value);
  ui.login.disabled = ui.register.disabled = false;
  if (why) {
    ui.joinError.textContent = `Could not ${path.endsWith('register') ? 'register' : 'log in'} — ${why}`;
    return;
  }
  ui.password.value = '';
  join(auth.name || name);
}

ui.joinForm.addEventListener('submit', (e) => {
  e.preventDefault();
  if (auth.mode === 'accounts') {
    logIn('/api/login');
    return;
  }
  const name = ui.name.value.trim();
  if (name === '') {
    ui.joinError.textContent = 'Please choose a name.';
    ui.name.focus();
    return;
  }
  ui.join.disabled = true;
  join(name);
});

ui.register.addEventListener('click', () => logIn('/api/register'));

hooks.act = {
  reply: startReply,
  edit: startEdit,
  remove: (id) => act({ type: 'delete', id }),
  react: (id, emoji) => act({ type: 'react', id, emoji, want: true }),
  toggle: (id, emoji) => {
    const m = view('room', session.room).msgs.get(id);
    const on = m?.reactions.find((r) => r.emoji === emoji)?.names.some((n) => n.toLowerCase() === session.name.toLowerCase());
    act({ type: 'react', id, emoji, want: !on });
  },
};
hooks.unread = showSide;
hooks.open = (k) => show(k);
hooks.goTo = goToRoom;

setUpComposer(() => {
  const now = Date.now();
  if (now - timers.typingSent >= TYPING_EVERY_MS && send('/typing')) timers.typingSent = now;
});
setUpFinder();
setUpNotifications();

setUpSharing(() => {
  const v = log.views.get(log.current);
  if (!session.upload || !session.welcomed) return { why: 'Not connected: share the file once the connection is back' };
  if (v?.kind === 'private') return { to: v.name, credential: session.upload };
  return { room: session.room, credential: session.upload };
}, (text) => append(currentView(), noticeLine(text), ''));

ui.roomForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const name = ui.roomName.value.trim();
  if (name === '') return;
  ui.roomName.value = '';
  goToRoom(name);
});

ui.sideToggle.addEventListener('click', () => {
  const open = ui.side.classList.toggle('open');
  ui.sideToggle.setAttribute('aria-expanded', String(open));
});

ui.leave.addEventListener('click', () => {
  const name = session.name;
  forget();
  forgetKept(name);
  forgetOutbox();
  resetSession();
  showJoin();
  setStatus('');
  ui.name.value = name;
  ui.name.focus();
});

ui.retry.addEventListener('click', () => {
  if (session.name && !session.ws) connect();
});

window.addEventListener('online', () => {
  if (session.name && !session.ws) connect();
});

// Back in the tab: what came meanwhile in sight is read now.
document.addEventListener('visibilitychange', () => {
  if (document.hidden) return;
  const v = log.views.get(log.current);
  if (v) {
    v.unread = 0;
    v.mentioned = false;
  }
  session.mentionedElsewhere = false;
  showSide();
  if (session.welcomed) askRoomsSoon();
});

// A scroll while the log's height changed is the layout's, not the person's.
ui.log.addEventListener('scroll', () => {
  if (ui.log.clientHeight !== log.height) return;
  log.atEnd = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 40;
});

// The log shrinks when the header grows to say the connection is lost.
new ResizeObserver(() => {
  log.height = ui.log.clientHeight;
  followEnd();
}).observe(ui.log);

// A deep link (/?room=go) opens that room.
ui.joinRoom.value = new URLSearchParams(location.search).get('room') ?? '';
ui.send.disabled = true;

// The form fits how the server lets people in; a kept token joins at
// once, and so does the name kept from the last visit without accounts.
await loadConfig();
ui.passwordRow.hidden = auth.mode !== 'accounts';
ui.join.hidden = auth.mode === 'accounts';
ui.register.hidden = !auth.signup;
ui.tokenNote.hidden = auth.mode !== 'token';
ui.leave.textContent = auth.mode === 'none' ? 'Leave' : 'Log out';
const offered = auth.mode === 'none' ? '' : offeredName();
const kept = auth.mode !== 'none' && restore();
const keptHere = auth.mode === 'none' ? keptName() : null;
if (offered && !(kept && auth.name === offered)) {
  offer(offered, kept ? auth.name : '');
} else if (kept) {
  join(auth.name);
} else if (keptHere) {
  ui.name.value = keptHere.name;
  join(keptHere.name, ui.joinRoom.value.trim() || keptHere.room);
}
