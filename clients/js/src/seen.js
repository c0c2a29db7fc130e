// The message ids a ChatClient has handed over, room by room: so that
// it hands nothing over twice (a replay after a reconnection overlaps
// what came before it), and so that it knows the newest id of each
// room to ask for what it missed with since (docs/protocol.md, "History
// and reconnecting").

import { compareIDs, isID } from './protocol.js';

/** The ids remembered in each room; older ones are forgotten first. */
export const MAX_SEEN = 2000;

/** roomKey is how rooms are told apart: case does not matter. */
export const roomKey = (room) => room.toLowerCase();

/** SeenIDs holds, for one client, the ids handed over in each room and the newest of them. */
export class SeenIDs {
  #last = new Map(); // room key → the newest id seen there
  #seen = new Map(); // room key → the ids handed over there, the oldest first

  /** last returns the newest id seen in room, or ''. */
  last(room) {
    return this.#last.get(roomKey(room)) ?? '';
  }

  /** startAt takes id as the newest seen in room (the since option). */
  startAt(room, id) {
    this.#last.set(roomKey(room), id);
  }

  /**
   * fresh records id as handed over in room, and reports false when it
   * was already; advance (the default) makes it the room's newest when
   * it is newer. What is not an id is always fresh.
   */
  fresh(room, id, advance = true) {
    if (!isID(id)) return true;
    const k = roomKey(room);
    let seen = this.#seen.get(k);
    if (!seen) this.#seen.set(k, (seen = new Set()));
    if (seen.has(id)) return false;
    seen.add(id);
    if (seen.size > MAX_SEEN) seen.delete(seen.values().next().value);
    if (advance && compareIDs(id, this.#last.get(k) ?? '0-0') > 0) this.#last.set(k, id);
    return true;
  }

  /** forget drops the ids handed over in room, keeping its newest: its replay is handed over in full again. */
  forget(room) {
    this.#seen.delete(roomKey(room));
  }
}
