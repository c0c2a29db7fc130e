// The session: one person, one name, the connection the client library
// keeps for them (a ChatClient, /lib/client.js), and what the parts of
// the page share about it.

import { ui } from './view.js';

export const LOBBY = 'lobby';

export const session = {
  name: '', // the name chosen on the join form
  room: LOBBY, // the room to be in, as the server spells it once there
  client: null, // the ChatClient of the name, or null on the join form
  store: null, // where it keeps its outbox (outbox.js)
  welcomed: false, // the current connection got its welcome
  caughtUp: false, // and its replay is through: what the page sends now comes after it
  joinedOnce: false, // a welcome came since the name was chosen
  moving: false, // a /join is on its way: the next welcome is a move
  upload: '', // the credential this connection uploads files with
  online: new Set(), // who is in the room, as the server spells the names: in a crowd, some of them
  count: 0, // how many are in the room, as the server last counted them
  rooms: [], // the last rooms answer
  seen: new Map(), // room key → the id of the last message seen there
  away: false, // the chat cannot reach its other servers (Redis) right now
  mentionedElsewhere: false, // someone named the person in another room since they last looked
  topic: '', // the room's topic
  role: '', // the person's role in the room: owner, operator, admin, or none
};

/** setStatus shows the connection state in the header. */
export function setStatus(text, kind = '') {
  ui.status.textContent = text;
  ui.status.dataset.kind = kind;
}

/** send sends a frame (a command, or a request the page answers itself) on the open connection, and reports whether it could. */
export function send(text) {
  return session.welcomed && session.client?.command(text) === true;
}

/** sendJSON sends a JSON request, and reports whether it could. */
export function sendJSON(request) {
  return send(JSON.stringify(request));
}

const AWAY = 'Connected, but the chat cannot reach its other servers: what you send waits and goes when it can';

/** away says the chat cannot reach its other servers (Redis) for now: the connection is up, but nothing goes. */
export function away() {
  if (session.away) return;
  session.away = true;
  setStatus(AWAY, 'warn');
}

/** back says the chat reaches its other servers again, and sends what waits. */
export function back() {
  if (!session.away) return;
  session.away = false;
  setStatus('Connected', 'ok');
  session.client?.retryNow();
}

/** ready reports whether what the page sends now goes, after what the server replays. */
export function ready() {
  return session.welcomed && session.caughtUp;
}
