// Who and what is around: the rooms with how many are in each and what
// is unread there, the people in the room, the private conversations,
// who is typing, and the view the log shows.

import { ui, renderOnline, renderRooms, renderConvs } from './view.js';
import { session, send, sendJSON } from './session.js';
import { log, key, view, fill, showOlder } from './log.js';
import { roomKey } from './messages.js';
import { resetCompose, fits } from './compose.js';
import { closeSearch } from './finder.js';
import { showUnread } from './alerts.js';
import { personActs, showRole } from './moderation.js';

const ROOMS_EVERY_MS = 10000; // how often the room list is asked for
const ROOMS_SOON_MS = 1000; // and how soon after someone comes or goes
const TYPING_SHOWN_MS = 3000; // how long "alice is typing…" stays without news
// The client_id of the page's rooms requests: the first answer after a
// welcome, or a refusal of it, says the replay is through.
export const ROOMS_ID = 'rooms';

/** The room list's timers, and who is typing. */
const timers = { rooms: 0, roomsSoon: 0, typers: new Map() };

/** stopRooms stops asking for the room list: the connection is gone. */
export function stopRooms() {
  clearTimeout(timers.rooms);
  clearTimeout(timers.roomsSoon);
  timers.roomsSoon = 0;
}

/** askRooms asks for the room list now, and again every so often while connected, saying what was seen in each room. */
export function askRooms() {
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
export function askRoomsSoon() {
  if (!timers.roomsSoon) timers.roomsSoon = setTimeout(askRooms, ROOMS_SOON_MS);
}

/** gotRooms takes a rooms answer: a room seen for the first time counts from its latest message. */
export function gotRooms(rooms) {
  session.rooms = rooms.filter((r) => r && typeof r.name === 'string' && Number.isInteger(r.count)).slice(0, 100);
  for (const r of session.rooms) {
    const k = key('room', r.name);
    if (!session.seen.has(k)) session.seen.set(k, typeof r.last === 'string' ? r.last : '0-0');
  }
  showSide();
}

/** show puts a view in the log. */
export function show(k) {
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
  showRole();
}

/** showOnline lists who is in the room, with what a moderator may do to each. */
export function showOnline() {
  const acts = personActs(send, (text) => {
    show(roomKey());
    closeSide();
    ui.text.value = text;
    ui.text.focus();
  });
  renderOnline(session.online, session.count, session.name, session.room, (name) => {
    view('private', name);
    show(key('private', name));
    closeSide();
    ui.text.focus();
  }, !session.welcomed, acts);
}

/** showSide lists the rooms and the private conversations, with what is unread, and counts it for the title. */
export function showSide() {
  const hereKey = roomKey();
  const rooms = session.rooms.map((r) => {
    const k = key('room', r.name);
    const here = k === hereKey;
    const v = log.views.get(k);
    return {
      name: r.name, count: here ? session.count : r.count, current: k === log.current,
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
export function goToRoom(name) {
  closeSide();
  if (name.toLowerCase() === session.room.toLowerCase()) {
    show(roomKey());
    return;
  }
  if (send(`/join ${name}`)) session.moving = true;
}

/** startTyping shows that name is typing, until they send or go quiet. */
export function startTyping(name) {
  clearTimeout(timers.typers.get(name));
  timers.typers.set(name, setTimeout(() => stopTyping(name), TYPING_SHOWN_MS));
  showTyping();
}

export function stopTyping(name) {
  if (!timers.typers.has(name)) return;
  clearTimeout(timers.typers.get(name));
  timers.typers.delete(name);
  showTyping();
}

export function clearTyping() {
  for (const t of timers.typers.values()) clearTimeout(t);
  timers.typers.clear();
  showTyping();
}

/** showTyping says who is typing in the room, under the log of the room. */
export function showTyping() {
  const names = [...timers.typers.keys()];
  const inRoom = log.current === roomKey();
  ui.typing.textContent = !inRoom || names.length === 0 ? ''
    : names.length === 1 ? `${names[0]} is typing…`
      : names.length === 2 ? `${names[0]} and ${names[1]} are typing…`
        : 'Several people are typing…';
}

/** On a narrow screen the rooms and people fold away behind a button. */
export function closeSide() {
  ui.side.classList.remove('open');
  ui.sideToggle.setAttribute('aria-expanded', 'false');
}
