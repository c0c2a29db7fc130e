// The wschat page: join under a name, then show what the chat sends and
// send what the person writes. It speaks the JSON format of /ws/chat.
//
// Everything that comes from the network reaches the page through
// textContent only, and what kind of line it becomes (a message or a
// notice, and whose) comes from the JSON fields, never from the text.

const FIRST_RETRY_MS = 1000; // the first wait before reconnecting
const MAX_RETRY_MS = 30000; // the longest wait: the delay doubles up to it
// How long a reconnection refused because the name is taken keeps trying.
// The server holds a name until it notices the old connection is gone,
// which for one that went quiet without closing (a phone gone offline)
// takes its keepalive up to three ping intervals: 90 s by default.
const TAKEN_RETRY_MS = 90000;
const MAX_LOG_LINES = 500; // older lines are dropped
const CLOSE_POLICY = 1008; // a refused name; later in a session, too slow
const CLOSE_NORMAL = 1000;
const CLOSE_ABNORMAL = 1006; // no close frame: the connection just dropped
// The reason the server gives with 1008 when the name is in use.
const TAKEN = /^name ".*" is taken\b/;

/** Plain words for the close codes the server sends. */
const closeWords = {
  1001: 'the server is shutting down',
  1003: 'the server takes text messages only',
  1007: 'a message was not valid text',
  1008: 'the server dropped this connection',
  1009: 'a message was too long for the server',
  1011: 'the server had a problem',
};

const $ = (id) => document.getElementById(id);

const ui = {
  status: $('status'),
  retry: $('retry'),
  me: $('me'),
  meName: $('me-name'),
  leave: $('leave'),
  joinView: $('join-view'),
  joinForm: $('join-form'),
  name: $('name'),
  join: $('join'),
  joinError: $('join-error'),
  chatView: $('chat-view'),
  online: $('online'),
  onlineCount: $('online-count'),
  log: $('log'),
  sendForm: $('send-form'),
  text: $('text'),
  send: $('send'),
};

/** The session: one person, one name, a socket at a time. */
const session = {
  name: '', // the name chosen on the join form
  ws: null, // the current socket, or null between connections
  welcomed: false, // the current socket got its welcome
  joinedOnce: false, // a welcome came since the name was chosen
  delay: FIRST_RETRY_MS, // the wait before the next reconnection
  takenSince: 0, // when reconnecting first found the name taken; 0 if it did not
  timer: 0, // the pending reconnection
  ticker: 0, // the countdown shown meanwhile
  online: new Set(), // who is online, as the server spells the names
  atEnd: true, // the log shows its end, so new lines keep it there
  logHeight: 0, // the log's height when last laid out
};

/** chatURL returns the chat endpoint on this page's own host. */
function chatURL(name) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const q = new URLSearchParams({ name, format: 'json' });
  return `${scheme}//${location.host}/ws/chat?${q}`;
}

/** setStatus shows the connection state in the header. */
function setStatus(text, kind = '') {
  ui.status.textContent = text;
  ui.status.dataset.kind = kind;
}

/** connect opens a socket for the session's name. */
function connect() {
  stopTimers();
  const ws = new WebSocket(chatURL(session.name));
  session.ws = ws;
  session.welcomed = false;
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
  const name = typeof ev.name === 'string' ? ev.name : '';
  const text = typeof ev.text === 'string' ? ev.text : '';
  switch (ev.type) {
    case 'welcome':
      welcomed(name, Array.isArray(ev.online) ? ev.online.filter((n) => typeof n === 'string') : [name]);
      break;
    case 'join':
      if (!name) return;
      session.online.add(name);
      renderOnline();
      addNotice(`${name} joined`);
      break;
    case 'leave':
      if (!name) return;
      session.online.delete(name);
      renderOnline();
      addNotice(`${name} left`);
      break;
    case 'message':
      if (name && text) addMessage(name, text);
      break;
    case 'notice':
      if (text) addNotice(text);
      break;
  }
}

/** welcomed starts (or resumes) the chat once the server took the name. */
function welcomed(name, online) {
  if (name) session.name = name; // the server's spelling
  const again = session.joinedOnce;
  session.welcomed = true;
  session.joinedOnce = true;
  session.delay = FIRST_RETRY_MS;
  session.takenSince = 0;
  session.online = new Set(online);
  renderOnline();
  showChat();
  ui.send.disabled = false;
  if (again) {
    setStatus('Reconnected', 'ok');
    addNotice('Reconnected');
  } else {
    setStatus('Connected', 'ok');
    addNotice(`You joined as ${session.name}`);
    ui.text.focus();
  }
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
  ui.send.disabled = true;
  if (ev.code === CLOSE_POLICY && !wasWelcomed) {
    if (session.joinedOnce && TAKEN.test(ev.reason)) {
      stillTaken(ev.reason);
    } else {
      refused(`Could not join — ${ev.reason || 'the server refused this name'}`);
    }
    return;
  }
  session.takenSince = 0;
  const why = ev.reason || closeWords[ev.code] || (ev.code === CLOSE_ABNORMAL ? '' : `close code ${ev.code}`);
  if (!session.joinedOnce) {
    refused(`Could not connect${why ? ` — ${why}` : ''}. Please try again.`);
    return;
  }
  if (wasWelcomed) addNotice(`Connection lost${why ? `: ${why}` : ''}`);
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
    addNotice(`Your previous connection is still open on the server, which keeps your name until it notices that connection is gone; trying again for up to ${secs} s`);
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
  const name = session.name;
  resetSession();
  showJoin();
  setStatus('');
  ui.joinError.textContent = why;
  ui.name.value = name;
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
  const show = () => setStatus(say(left), 'warn');
  show();
  ui.retry.hidden = false;
  session.ticker = setInterval(() => {
    left = Math.max(left - 1, 1);
    show();
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

/** resetSession forgets the name and closes any socket, without reconnecting. */
function resetSession() {
  stopTimers();
  const ws = session.ws;
  session.ws = null;
  session.name = '';
  session.welcomed = false;
  session.joinedOnce = false;
  session.delay = FIRST_RETRY_MS;
  session.takenSince = 0;
  session.online = new Set();
  if (ws) ws.close(CLOSE_NORMAL, 'left');
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

/** renderOnline lists who is online, the person first. */
function renderOnline() {
  const names = [...session.online].sort((a, b) => {
    if (a === session.name) return -1;
    if (b === session.name) return 1;
    return a.localeCompare(b, undefined, { sensitivity: 'base' });
  });
  const items = names.map((name) => {
    const li = document.createElement('li');
    li.textContent = name;
    li.style.setProperty('--hue', hue(name));
    if (name === session.name) li.classList.add('self');
    return li;
  });
  ui.online.replaceChildren(...items);
  ui.onlineCount.textContent = String(names.length);
}

/** addMessage shows one chat message: its sender's name, then its text. */
function addMessage(name, text) {
  const li = document.createElement('li');
  li.className = 'msg';
  if (name === session.name) li.classList.add('mine');
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = name;
  who.style.setProperty('--hue', hue(name));
  const body = document.createElement('span');
  body.className = 'text';
  body.textContent = text;
  li.append(who, body, timeStamp());
  addLine(li);
}

/** addNotice shows a line from the page or the server, not from a person. */
function addNotice(text) {
  const li = document.createElement('li');
  li.className = 'notice';
  const body = document.createElement('span');
  body.className = 'text';
  body.textContent = text;
  li.append(body, timeStamp());
  addLine(li);
}

/** timeStamp returns the local time of arrival, as hours and minutes. */
function timeStamp() {
  const now = new Date();
  const t = document.createElement('time');
  t.dateTime = now.toISOString();
  t.textContent = now.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return t;
}

/** addLine appends to the log, which follows the end unless the person scrolled back. */
function addLine(li) {
  ui.log.append(li);
  while (ui.log.childElementCount > MAX_LOG_LINES) ui.log.firstElementChild.remove();
  followEnd();
}

/** followEnd scrolls the log to its end when it should stay there. */
function followEnd() {
  if (session.atEnd) ui.log.scrollTop = ui.log.scrollHeight;
}

/** hue picks a stable colour for a name, so each person's name looks the same everywhere. */
function hue(name) {
  let h = 0;
  for (const ch of name.toLowerCase()) h = (h * 31 + ch.codePointAt(0)) % 360;
  return String(h);
}

ui.joinForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const name = ui.name.value.trim();
  if (name === '') {
    ui.joinError.textContent = 'Please choose a name.';
    ui.name.focus();
    return;
  }
  ui.joinError.textContent = '';
  ui.join.disabled = true;
  ui.log.replaceChildren();
  session.name = name;
  connect();
});

ui.sendForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const text = ui.text.value;
  const ws = session.ws;
  if (text.trim() === '' || !ws || ws.readyState !== WebSocket.OPEN || !session.welcomed) return;
  ws.send(text);
  ui.text.value = '';
});

ui.leave.addEventListener('click', () => {
  const name = session.name;
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

ui.send.disabled = true;
