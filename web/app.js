// The wschat page: join under a name in a room, then show what the chat
// sends and send what the person writes. It speaks the JSON format of
// /ws/chat through the client library (/lib/client.js), which sends
// each request once, with a client_id (outbox.js keeps them); what
// kind of line something becomes (a message or a notice, and whose)
// comes from the JSON fields, never from the text.
//
// The connection is in one room at a time. The log shows one view: the
// room, or a private conversation with one person. Unread counts: a
// view not in sight counts what arrived meanwhile, and so does the one in
// sight while the tab is hidden; another room counts the messages since
// the person was last there (or first saw it listed), which the server
// tells from the id of the last one seen (a rooms request).
//
// app.js is where the page starts: the join form, accounts and tokens,
// and the wiring of the rest (connection.js, people.js, messages.js,
// compose.js, finder.js, share.js).

import { ui } from './view.js';
import { session, send, setStatus, LOBBY } from './session.js';
import { noticeLine } from './lines.js';
import { log, view, append, followEnd } from './log.js';
import { hooks, restorePrivate } from './messages.js';
import { setUpComposer, startReply, startEdit, act, restoreDraft } from './compose.js';
import { setUpFinder } from './finder.js';
import { setUpNotifications } from './alerts.js';
import { setUpSharing } from './share.js';
import { forgetOutbox } from './outbox.js';
import { keptName, forgetKept } from './keep.js';
import { auth, loadConfig, restore, forget, enter, offeredName, takeOffered } from './auth.js';
import { connect, currentView, resetSession, retryNow, showJoin } from './connection.js';
import { setUpPanel } from './e2ee/panel.js';
import { setUpFiles } from './e2ee/files.js';
import { askRoomsSoon, show, showSide, goToRoom, closeSide } from './people.js';

const TYPING_EVERY_MS = 2000; // the server passes on one typing event per 2 s
let typingSent = 0; // when the page last said the person is typing

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

/** join connects under a name, in room: the one typed, or the account's, or the one kept from the last visit. */
function join(name, room = ui.joinRoom.value.trim()) {
  ui.joinError.textContent = '';
  ui.log.replaceChildren();
  session.name = name;
  session.room = room || LOBBY;
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
  report: (id) => {
    ui.text.value = `/report ${id} `;
    ui.text.focus();
  },
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
  if (now - typingSent >= TYPING_EVERY_MS && send('/typing')) typingSent = now;
});
setUpFinder();
setUpNotifications();
// Encryption (e2ee/): its bar above the message box, and encrypted files' links.
setUpPanel();
setUpFiles((text) => append(currentView(), noticeLine(text), ''));

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
  resetSession();
  forgetOutbox(name);
  showJoin();
  setStatus('');
  ui.name.value = name;
  ui.name.focus();
});

ui.retry.addEventListener('click', retryNow);
window.addEventListener('online', retryNow);

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