// One WebSocket connection of a ChatClient to /ws/chat: its address
// (a name or a token, the room, and since to recover what was missed),
// its frames read as events (after the inbound option, (data, deliver),
// which sees each frame first and hands deliver the frame to read, in
// order: an app that opens sealed messages), the time it has to bring
// its welcome (connectTimeoutMs), since a socket whose server vanished
// mid-handshake may otherwise never say it closed, and when the replay
// that follows a welcome is through.

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
 * after a welcome is through (see catchUp), and closed(code, reason) is
 * told it closed, or that it brought no welcome within connectTimeoutMs.
 */
export class Connection {
  #ws;
  #live = true;
  #welcomeBy;
  #catchUpID = ''; // the client_id of the request whose answer says the replay is through

  /** ws is a new socket; opts are the client's: inbound and connectTimeoutMs. */
  constructor(ws, { inbound, connectTimeoutMs }, hooks) {
    this.#ws = ws;
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
      if (inbound) inbound(e.data, deliver);
      else deliver(e.data);
    };
    ws.onclose = (e) => {
      if (this.#live) hooks.closed(e.code, e.reason ?? '');
    };
    this.#welcomeBy = setTimeout(() => {
      if (!this.#live) return;
      this.drop();
      ws.close();
      hooks.closed(CLOSE.ABNORMAL, '');
    }, connectTimeoutMs);
  }

  /** send sends text when the socket is open, and reports whether it did. */
  send(text) {
    if (this.#ws.readyState !== 1) return false;
    this.#ws.send(text);
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
