// The session: one person, one name, a socket at a time, and what the
// parts of the page share about it.

import { ui } from './view.js';

export const LOBBY = 'lobby';

export const session = {
  name: '', // the name chosen on the join form
  room: LOBBY, // the room to be in, as the server spells it once there
  ws: null, // the current socket, or null between connections
  welcomed: false, // the current socket got its welcome
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

/** send sends a frame on the open socket, and reports whether it could. */
export function send(text) {
  const ws = session.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN || !session.welcomed) return false;
  ws.send(text);
  return true;
}

/** sendJSON sends a JSON request, and reports whether it could. */
export function sendJSON(request) {
  return send(JSON.stringify(request));
}

/** ready reports whether what the page sends now goes, after what the server replays. */
export function ready() {
  return session.welcomed && session.caughtUp;
}
