// One WebSocket connection of a ChatClient to /ws/chat: its address
// (a name or a token, the room, and since to recover what was missed),
// its frames read as events (after the inbound option, (data, deliver),
// which sees each frame first and hands deliver the frame to read, in
// order: an app that opens sealed messages), the time it has to bring
// its welcome (connectTimeoutMs), since a socket whose server vanished
// mid-handshake may otherwise never say it closed, the time the server
// may stay silent while a request waits for its answer (answerTimeoutMs),
// since a browser may not notice a network gone silent for minutes, and
// when the replay that follows a welcome is through.

import { httpBase } from './http.js';
import { CLOSE, newClientID } from './protocol.js';

/** The events that answer, or refuse, the request that tells when the replay is through. */
const CATCH_UP_ANSWERS = new Set(['rooms', 'history', 'search', 'error']);

/** chatURL is the address of /ws/chat on server for token (or, without one, name) in room, asking for what came after since. */
export function chatURL(server, { room, token, name, since }) {
  const u = new URL('/ws/chat', httpBase(server));
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  const q = new URLSearchParams({ format: 'json', room });
  if (token) q.set('token', token);
  else q.set('name', name);
  if (since) q.set('since', since);
  u.search = q.toString();
  return u.href;
}

/**
 * Connection is one socket of a client, from its opening until it closes
 * or the client drops it; after that it hands nothing more over. The
 * client gives it hooks: receive(ev) is handed each event (a frame that
 * reads as a JSON object with a type), caughtUp() is told the replay
 * after a welcome is through (see catchUp), waits() says whether a
 * request waits for its answer, and closed(code, reason) is told it
 * closed, or that it brought no welcome within connectTimeoutMs, or
 * nothing within answerTimeoutMs while a request waited.
 */
export class Connection {
  #ws;
  #live = true;
  #welcomeBy;
  #answerBy = 0; // gives up a connection silent while a request waits
  #answerTimeoutMs;
  #hooks;
  #catchUpID = ''; // the client_id of the request whose answer says the replay is through

  /** ws is a new socket; opts are the client's: inbound, connectTimeoutMs and answerTimeoutMs. */
  constructor(ws, { inbound, connectTimeoutMs, answerTimeoutMs }, hooks) {
    this.#ws = ws;
    this.#hooks = hooks;
    this.#answerTimeoutMs = answerTimeoutMs;
    const deliver = (data) => {
      const ev = this.#live && eventOf(data);
      if (!ev) return;
      if (this.#catchUpID && ev.client_id === this.#catchUpID && CATCH_UP_ANSWERS.has(ev.type)) {
        this.#catchUpID = '';
        hooks.caughtUp();
        return;
      }
      hooks.receive(ev);
    };
    ws.onmessage = (e) => {
      if (!this.#live || typeof e.data !== 'string') return;
      if (this.#answerBy) this.#awaitAnswer(); // the server is there: wait anew
      if (inbound) inbound(e.data, deliver);
      else deliver(e.data);
    };
    ws.onclose = (e) => {
      if (this.#live) hooks.closed(e.code, e.reason ?? '');
    };
    this.#welcomeBy = setTimeout(() => this.#giveUp(), connectTimeoutMs);
  }

  /** #giveUp closes a connection taken for lost, and tells the client. */
  #giveUp() {
    if (!this.#live) return;
    this.drop();
    this.#ws.close();
    this.#hooks.closed(CLOSE.ABNORMAL, '');
  }

  /**
   * #awaitAnswer gives the server answerTimeoutMs to send something; if
   * it sends nothing while a request waits for its answer, the connection
   * is given up as lost, and what waits goes again once it is back (its
   * client_id keeps it from being carried out twice).
   */
  #awaitAnswer() {
    clearTimeout(this.#answerBy);
    this.#answerBy = setTimeout(() => {
      this.#answerBy = 0;
      if (this.#catchUpID || this.#hooks.waits()) this.#giveUp();
    }, this.#answerTimeoutMs);
  }

  /** send sends text when the socket is open, and reports whether it did. */
  send(text) {
    if (this.#ws.readyState !== 1) return false;
    this.#ws.send(text);
    if (!this.#answerBy) this.#awaitAnswer();
    return true;
  }

  /**
   * catchUp is called after a welcome: the server answers a request after
   * the replay, so the answer to this one (or its refusal) says the replay
   * is through.
   */
  catchUp() {
    this.#catchUpID = newClientID();
    this.send(JSON.stringify({ type: 'rooms', client_id: this.#catchUpID }));
  }

  /** stopDeadline stops the wait for the welcome: it came, or the client stops for good. */
  stopDeadline() {
    clearTimeout(this.#welcomeBy);
  }

  /** drop stops handing over what the socket says; the socket itself is left as it is. */
  drop() {
    this.#live = false;
    this.stopDeadline();
    clearTimeout(this.#answerBy);
    this.#answerBy = 0;
  }

  /** close drops the connection and closes its socket with code and reason. */
  close(code, reason) {
    this.drop();
    this.#ws.close(code, reason);
  }
}

/** eventOf reads a frame as an event, or returns null when it is not one. */
function eventOf(data) {
  let ev;
  try {
    ev = JSON.parse(data);
  } catch {
    return null;
  }
  return ev !== null && typeof ev === 'object' && typeof ev.type === 'string' ? ev : null;
}
