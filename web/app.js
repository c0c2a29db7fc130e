// The wschat page: join under a name in a room, then show what the chat
// sends and send what the person writes. It speaks the JSON format of
// /ws/chat; what kind of line something becomes (a message or a notice,
// and whose) comes from the JSON fields, never from the text.
//
// The connection is in one room at a time. The log shows one view: the
// room, or a private conversation with one person. Unread counts: a
// private conversation counts what arrived while it was not in view; the
// room the connection is in counts the same; another room counts the
// messages it had since the person was last there, from the "messages"
// of /rooms, which the page asks for now and then.

import { ui, messageLine, fileLine, noticeLine, renderOnline, renderRooms, renderConvs, renderLimit } from './view.js';
import { sharedFile, setUpSharing } from './share.js';
import { auth, loadConfig, restore, forget, enter, scheduleRenew, offeredName, takeOffered } from './auth.js';

const FIRST_RETRY_MS = 1000; // the first wait before reconnecting
const MAX_RETRY_MS = 30000; // the longest wait: the delay doubles up to it
// How long a reconnection refused because the name is taken keeps trying.
// The server holds a name until it notices the old connection is gone,
// which for one that went quiet without closing (a phone gone offline)
// takes its keepalive up to three ping intervals: 90 s by default.
const TAKEN_RETRY_MS = 90000;
const MAX_LOG_LINES = 500; // older lines of a view are dropped
const ROOMS_EVERY_MS = 10000; // how often the room list is asked for
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
const LOBBY = 'lobby';
const MAX_IDS = 2000; // message ids a view remembers, to show a replayed message once

/** Plain words for the close codes the server sends. */
const closeWords = {
  1001: 'the server is shutting down',
  1003: 'the server takes text messages only',
  1007: 'a message was not valid text',
  1008: 'the server dropped this connection',
  1009: 'a message was too long for the server',
  1011: 'the server had a problem',
};

/** The session: one person, one name, a socket at a time. */
const session = {
  name: '', // the name chosen on the join form
  room: LOBBY, // the room to be in, as the server spells it once there
  ws: null, // the current socket, or null between connections
  welcomed: false, // the current socket got its welcome
  joinedOnce: false, // a welcome came since the name was chosen
  moving: false, // a /join is on its way: the next welcome is a move
  upload: '', // the credential this connection uploads files with
  delay: FIRST_RETRY_MS, // the wait before the next reconnection
  takenSince: 0, // when reconnecting first found the name taken; 0 if it did not
  timer: 0, // the pending reconnection
  ticker: 0, // the countdown shown meanwhile
  roomsTimer: 0, // the next /rooms
  online: new Set(), // who is in the room, as the server spells the names
  views: new Map(), // key → { kind: 'room' | 'private', name, lines, unread }
  current: '', // the key of the view in the log
  rooms: [], // the last /rooms answer
  seen: new Map(), // room key → its message count when the person was last there
  typers: new Map(), // name → the timer that forgets they were typing
  typingSent: 0, // when the page last said the person is typing
  pending: '', // the text last sent, until it comes back: put back in the box if the server refuses it
  atEnd: true, // the log shows its end, so new lines keep it there
  logHeight: 0, // the log's height when last laid out
};

const key = (kind, name) => `${kind}:${name.toLowerCase()}`;

/** chatURL returns the chat endpoint on this page's own host. */
function chatURL() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const q = new URLSearchParams({ name: session.name, room: session.room, format: 'json' });
  if (auth.token) q.set('token', auth.token);
  // Back in a room it saw, the page asks for what it missed since.
  const since = session.views.get(key('room', session.room))?.lastID;
  if (since) q.set('since', since);
  return `${scheme}//${location.host}/ws/chat?${q}`;
}

/** setStatus shows the connection state in the header. */
function setStatus(text, kind = '') {
  ui.status.textContent = text;
  ui.status.dataset.kind = kind;
}

/** send sends a frame on the open socket, and reports whether it could. */
function send(text) {
  const ws = session.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN || !session.welcomed) return false;
  ws.send(text);
  return true;
}

/** wire is what text written in the view v becomes on the socket. */
function wire(v, text) {
  return v.kind === 'private' ? `/msg ${v.name} ${text}` : text;
}

const encoder = new TextEncoder();

/** fits shows how the composer's text measures against the server's limit, in UTF-8 bytes on the socket, and reports whether it fits. */
function fits() {
  const v = session.views.get(session.current);
  const bytes = v && ui.text.value !== '' ? encoder.encode(wire(v, ui.text.value)).length : 0;
  renderLimit(bytes, auth.maxMessage);
  return bytes <= auth.maxMessage;
}

/** connect opens a socket for the session's name and room. */
function connect() {
  stopTimers();
  const ws = new WebSocket(chatURL());
  session.ws = ws;
  session.welcomed = false;
  session.moving = false;
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
  const text = str(ev.text);
  const room = str(ev.room);
  switch (ev.type) {
    case 'welcome':
      session.upload = str(ev.upload);
      welcomed(name, room, Array.isArray(ev.online) ? ev.online.filter((n) => typeof n === 'string') : [name]);
      if (ev.recovered === false) addLine(session.current, noticeLine('Some messages from while you were away could not be recovered'));
      break;
    case 'join':
    case 'leave':
      if (!name || room !== session.room) return;
      if (ev.type === 'join') session.online.add(name);
      else session.online.delete(name);
      showOnline();
      addLine(key('room', room), noticeLine(`${name} ${ev.type === 'join' ? 'joined' : 'left'}`));
      break;
    case 'message':
    case 'file': {
      const file = ev.type === 'file' ? sharedFile(ev.file) : null;
      if (!name || !text || room !== session.room || (ev.type === 'file' && !file)) return;
      const v = view('room', room);
      const id = str(ev.id);
      if (id && v.ids.has(id)) return; // replayed, and shown already
      if (id) remember(v, id);
      if (ev.history !== true) {
        stopTyping(name);
        session.seen.set(key('room', room), (session.seen.get(key('room', room)) ?? 0) + 1);
      }
      const mine = name === session.name;
      if (mine && ev.history !== true) session.pending = '';
      addLine(key('room', room), file ? fileLine(name, file, mine, str(ev.time)) : messageLine(name, text, mine, str(ev.time)));
      break;
    }
    case 'private': {
      const to = str(ev.to);
      const other = name === session.name ? to : name;
      if (!other || !text) return;
      if (name === session.name) session.pending = '';
      view('private', other);
      addLine(key('private', other), messageLine(name, text, name === session.name, str(ev.time)));
      break;
    }
    case 'typing':
      if (name && name !== session.name && room === session.room) startTyping(name);
      break;
    case 'rooms':
      if (Array.isArray(ev.rooms)) gotRooms(ev.rooms);
      break;
    case 'renewed':
      break; // the connection took the renewed token
    case 'notice':
    case 'who':
      if (text) addLine(session.current, noticeLine(text));
      break;
  }
}

/** welcomed starts the chat once the server took the name, or resumes it, or moves it to another room. */
function welcomed(name, room, online) {
  if (name) session.name = name; // the server's spelling
  const again = session.joinedOnce;
  const moved = session.moving;
  session.welcomed = true;
  session.joinedOnce = true;
  session.moving = false;
  session.delay = FIRST_RETRY_MS;
  session.takenSince = 0;
  session.room = room || LOBBY;
  session.online = new Set(online);
  clearTyping();
  history.replaceState(null, '', session.room.toLowerCase() === LOBBY ? '/' : `/?${new URLSearchParams({ room: session.room })}`);
  const roomKey = key('room', session.room);
  view('room', session.room);
  show(roomKey);
  showOnline();
  showChat();
  ui.send.disabled = false;
  if (moved) {
    addLine(roomKey, noticeLine(`You are in ${session.room}`));
  } else if (again) {
    setStatus('Reconnected', 'ok');
    addLine(roomKey, noticeLine('Reconnected'));
  } else {
    setStatus('Connected', 'ok');
    addLine(roomKey, noticeLine(`You joined ${session.room} as ${session.name}`));
    ui.text.focus();
  }
  scheduleRenew((token) => send(`/token ${token}`));
  askRooms();
}

/** askRooms asks for the room list now, and again every so often while connected. */
function askRooms() {
  clearTimeout(session.roomsTimer);
  if (!send('/rooms')) return;
  session.roomsTimer = setTimeout(askRooms, ROOMS_EVERY_MS);
}

/** gotRooms takes a /rooms answer: the room the person is in is seen up to now. */
function gotRooms(rooms) {
  session.rooms = rooms.filter((r) => r && typeof r.name === 'string' && Number.isInteger(r.count));
  const here = session.rooms.find((r) => r.name.toLowerCase() === session.room.toLowerCase());
  if (here) session.seen.set(key('room', here.name), here.messages);
  showSide();
}

/** view returns the view of a room or a private conversation, making it if new. */
function view(kind, name) {
  const k = key(kind, name);
  let v = session.views.get(k);
  if (!v) {
    v = { kind, name, lines: [], unread: 0, ids: new Set(), lastID: '' };
    session.views.set(k, v);
  }
  return v;
}

/** remember notes a message id a view has shown: the latest, to ask what came after it, and the rest, to skip replays. */
function remember(v, id) {
  v.ids.add(id);
  v.lastID = id;
  if (v.ids.size > MAX_IDS) v.ids.delete(v.ids.values().next().value);
}

/** show puts a view in the log. */
function show(k) {
  const v = session.views.get(k);
  if (!v) return;
  session.current = k;
  v.unread = 0;
  ui.log.replaceChildren(...v.lines);
  session.atEnd = true;
  followEnd();
  ui.viewTitle.textContent = v.kind === 'room' ? `# ${v.name}` : `Private with ${v.name}`;
  ui.text.placeholder = v.kind === 'room' ? `Message ${v.name}…` : `Message ${v.name} privately…`;
  fits();
  showSide();
}

/** addLine adds a line to a view: in the log when in view, counted as unread when not. */
function addLine(k, li) {
  const v = session.views.get(k);
  if (!v) return;
  v.lines.push(li);
  if (v.lines.length > MAX_LOG_LINES) v.lines.shift().remove();
  if (k === session.current) {
    ui.log.append(li);
    followEnd();
    return;
  }
  if (li.classList.contains('msg')) {
    v.unread++;
    showSide();
  }
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

/** showSide lists the rooms and the private conversations, with what is unread. */
function showSide() {
  const hereKey = key('room', session.room);
  const rooms = session.rooms.map((r) => {
    const k = key('room', r.name);
    const here = k === hereKey;
    const seen = session.seen.get(k);
    const unread = here ? (session.views.get(k)?.unread ?? 0) : Math.max(0, seen === undefined ? 0 : r.messages - seen);
    return { name: r.name, count: here ? session.online.size : r.count, unread, current: k === session.current };
  });
  renderRooms(rooms, goToRoom, !session.welcomed);
  const convs = [...session.views.entries()].filter(([, v]) => v.kind === 'private')
    .map(([k, v]) => ({ name: v.name, unread: v.unread, current: k === session.current }));
  renderConvs(convs, (name) => {
    show(key('private', name));
    closeSide();
  });
}

/** goToRoom shows the room, moving the connection there first when it is elsewhere. */
function goToRoom(name) {
  closeSide();
  if (name.toLowerCase() === session.room.toLowerCase()) {
    show(key('room', session.room));
    return;
  }
  if (send(`/join ${name}`)) session.moving = true;
}

/** startTyping shows that name is typing, until they send or go quiet. */
function startTyping(name) {
  clearTimeout(session.typers.get(name));
  session.typers.set(name, setTimeout(() => stopTyping(name), TYPING_SHOWN_MS));
  showTyping();
}

function stopTyping(name) {
  if (!session.typers.has(name)) return;
  clearTimeout(session.typers.get(name));
  session.typers.delete(name);
  showTyping();
}

function clearTyping() {
  for (const t of session.typers.values()) clearTimeout(t);
  session.typers.clear();
  showTyping();
}

/** showTyping says who is typing in the room, under the log of the room. */
function showTyping() {
  const names = [...session.typers.keys()];
  const inRoom = session.current === key('room', session.room);
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
  session.ws = null;
  session.welcomed = false;
  session.moving = false;
  clearTimeout(session.roomsTimer);
  clearTyping();
  ui.send.disabled = true;
  // Nothing written is lost: a message the server refused as too long
  // goes back in the box, unless something new was written there since.
  if (ev.code === CLOSE_TOO_BIG && session.pending && ui.text.value === '') {
    ui.text.value = session.pending;
    fits();
  }
  session.pending = '';
  showOnline();
  showSide();
  const [, code, words] = REASON.exec(ev.reason) || [, '', ev.reason];
  if (ev.code === CLOSE_POLICY && NOT_LET_IN.has(code)) {
    forget();
    refused(`Please log in again — ${words}`);
    return;
  }
  if (ev.code === CLOSE_POLICY && !wasWelcomed) {
    if (session.joinedOnce && code === TAKEN) {
      stillTaken(words);
    } else {
      refused(`Could not join — ${words || 'the server refused this name'}`);
    }
    return;
  }
  session.takenSince = 0;
  const why = words || closeWords[ev.code] || (ev.code === CLOSE_ABNORMAL ? '' : `close code ${ev.code}`);
  if (!session.joinedOnce) {
    refused(`Could not connect${why ? ` — ${why}` : ''}. Please try again.`);
    return;
  }
  if (wasWelcomed) addLine(session.current, noticeLine(`Connection lost${why ? `: ${why}` : ''}`));
  const lost = why ? `Connection lost (${why})` : 'Connection lost';
  scheduleReconnect((left) => `${lost} — reconnecting in ${left} s…`);
}

/**
 * stillTaken handles a reconnection refused because the name is taken: it
 * tries again, backing off, until TAKEN_RETRY_MS after the first such
 * refusal, the last try at that time; then it goes back to the join form.
 */
function stillTaken(reason) {
  const now = Date.now();
  const secs = Math.round(TAKEN_RETRY_MS / 1000);
  if (!session.takenSince) {
    session.takenSince = now;
    addLine(session.current, noticeLine(`Your previous connection is still open on the server, which keeps your name until it notices that connection is gone; trying again for up to ${secs} s`));
  }
  const left = session.takenSince + TAKEN_RETRY_MS - now;
  if (left <= 0) {
    refused(`Could not reconnect — ${reason}. The server still had your previous connection open after ${secs} s.`);
    return;
  }
  scheduleReconnect((s) => `Your previous connection is still open on the server; retrying in ${s} s…`,
    Math.min(session.delay, left));
}

/** refused goes back to the join form, saying why. */
function refused(why) {
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
 * scheduleReconnect waits wait ms (the session's delay unless shorter),
 * counting down in the status as say(seconds left), then connects again;
 * each delay doubles.
 */
function scheduleReconnect(say, wait = session.delay) {
  stopTimers();
  session.delay = Math.min(session.delay * 2, MAX_RETRY_MS);
  let left = Math.ceil(wait / 1000);
  const tell = () => setStatus(say(left), 'warn');
  tell();
  ui.retry.hidden = false;
  session.ticker = setInterval(() => {
    left = Math.max(left - 1, 1);
    tell();
  }, 1000);
  session.timer = setTimeout(connect, wait);
}

/** stopTimers cancels a pending reconnection. */
function stopTimers() {
  clearTimeout(session.timer);
  clearInterval(session.ticker);
  session.timer = 0;
  session.ticker = 0;
  ui.retry.hidden = true;
}

/** resetSession forgets the name, the room and the views, and closes any socket, without reconnecting. */
function resetSession() {
  stopTimers();
  clearTimeout(session.roomsTimer);
  clearTyping();
  const ws = session.ws;
  Object.assign(session, {
    ws: null, name: '', room: LOBBY, welcomed: false, joinedOnce: false, moving: false,
    delay: FIRST_RETRY_MS, takenSince: 0, online: new Set(), views: new Map(), current: '',
    rooms: [], seen: new Map(),
  });
  ui.log.replaceChildren();
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

/** followEnd scrolls the log to its end when it should stay there. */
function followEnd() {
  if (session.atEnd) ui.log.scrollTop = ui.log.scrollHeight;
}

/** join connects under a name: the one typed, or the account's. */
function join(name) {
  ui.joinError.textContent = '';
  ui.log.replaceChildren();
  session.name = name;
  session.room = ui.joinRoom.value.trim() || LOBBY;
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

ui.sendForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const text = ui.text.value;
  const v = session.views.get(session.current);
  if (text.trim() === '' || !v) return;
  if (!fits()) {
    ui.text.focus();
    return;
  }
  if (!send(wire(v, text))) return;
  session.pending = text;
  ui.text.value = '';
  fits();
  session.typingSent = 0;
});

ui.text.addEventListener('input', () => {
  fits();
  const v = session.views.get(session.current);
  const now = Date.now();
  if (v?.kind !== 'room' || ui.text.value.trim() === '' || ui.text.value.startsWith('/')) return;
  if (now - session.typingSent < TYPING_EVERY_MS) return;
  if (send('/typing')) session.typingSent = now;
});

setUpSharing(() => {
  const v = session.views.get(session.current);
  if (!session.upload || !session.welcomed) return { why: 'not connected' };
  if (v?.kind !== 'room') return { why: 'Files go to a room: open the room to share one there' };
  return { room: session.room, credential: session.upload };
}, (text) => addLine(session.current, noticeLine(text)));

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

// A scroll while the log's height changed is the layout's, not the person's.
ui.log.addEventListener('scroll', () => {
  const log = ui.log;
  if (log.clientHeight !== session.logHeight) return;
  session.atEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
});

// The log shrinks when the header grows to say the connection is lost.
new ResizeObserver(() => {
  session.logHeight = ui.log.clientHeight;
  followEnd();
}).observe(ui.log);

// A deep link (/?room=go) opens that room.
ui.joinRoom.value = new URLSearchParams(location.search).get('room') ?? '';
ui.send.disabled = true;

// The form fits how the server lets people in; a kept token joins at once.
await loadConfig();
ui.passwordRow.hidden = auth.mode !== 'accounts';
ui.join.hidden = auth.mode === 'accounts';
ui.register.hidden = !auth.signup;
ui.tokenNote.hidden = auth.mode !== 'token';
ui.leave.textContent = auth.mode === 'none' ? 'Leave' : 'Log out';
const offered = auth.mode === 'none' ? '' : offeredName();
const kept = auth.mode !== 'none' && restore();
if (offered && !(kept && auth.name === offered)) {
  offer(offered, kept ? auth.name : '');
} else if (kept) {
  join(auth.name);
}
