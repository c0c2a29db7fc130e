// The requests of a ChatClient that wait for their answer on the
// connection they went on: history, search and rooms, answered by an
// event that carries their client_id, and a move to another room,
// answered by a welcome or refused by a notice. Unlike the outbox's,
// they do not outlive the connection: they are refused when it closes.

import { ChatError } from './http.js';
import { newClientID } from './protocol.js';

/** The codes of the notices that refuse a move to another room. */
const JOIN_REFUSALS = new Set(['bad-name', 'room-limit', 'same-room', 'unavailable', 'usage']);

/** Answers holds one client's requests that wait for an answer. */
export class Answers {
  #waiting = new Map(); // client_id → { resolve, reject } of history, search and rooms requests
  #joining = null; // { room, resolve, reject } of the move that waits

  /** ask sends request, with a client_id of its own, by send(text); it resolves with the event that answers it. */
  ask(request, send) {
    const cid = newClientID();
    return new Promise((resolve, reject) => {
      this.#waiting.set(cid, { resolve, reject });
      send(JSON.stringify({ ...request, client_id: cid }));
    });
  }

  /** join sends the move to room by send(text); it resolves with the welcome. A move that waited is superseded. */
  join(room, send) {
    this.#joining?.reject(new ChatError('superseded', `a move to ${room} came after`));
    return new Promise((resolve, reject) => {
      this.#joining = { room, resolve, reject };
      send(`/join ${room}`);
    });
  }

  /** answered resolves the request cid with ev; it reports whether the request waited. */
  answered(cid, ev) {
    const w = this.#waiting.get(cid);
    if (!w) return false;
    this.#waiting.delete(cid);
    w.resolve(ev);
    return true;
  }

  /** refused rejects the request cid with the server's refusal (code, text); it reports whether the request waited. */
  refused(cid, code, text) {
    const w = this.#waiting.get(cid);
    if (!w) return false;
    this.#waiting.delete(cid);
    w.reject(new ChatError(code, text));
    return true;
  }

  /** notice rejects the move that waits when ev is a notice that refuses it. */
  notice(ev) {
    if (!this.#joining || !JOIN_REFUSALS.has(ev.code)) return;
    this.#joining.reject(new ChatError(ev.code, ev.text));
    this.#joining = null;
  }

  /** welcomed resolves the move that waits, if one does, with its welcome ev. */
  welcomed(ev) {
    this.#joining?.resolve(ev);
    this.#joining = null;
  }

  /** waits reports whether a request or a move waits for its answer. */
  waits() {
    return this.#waiting.size > 0 || this.#joining !== null;
  }

  /** lost refuses all that waits with 'disconnected': the connection closed. */
  lost() {
    for (const [, w] of this.#waiting) w.reject(new ChatError('disconnected', 'the connection was lost'));
    this.#waiting.clear();
    this.#joining?.reject(new ChatError('disconnected', 'the connection was lost'));
    this.#joining = null;
  }
}
