// ChatClient: one person's connection to a wschat server, kept up. It
// connects by name or token, reconnects with backoff and jitter, asks
// for what it missed with since, hands each message to the app once,
// and tells the app when something could not be recovered. What the
// app sends while the connection is down waits in an outbox and goes
// once the connection is back and has caught up, each request with a
// client_id of its own that the server carries out once (docs/protocol.md,
// "Requests sent again"); given a store, the outbox outlives the client
// (outbox.js). Refusals reach the app as codes; after a close that says
// not to come back (kicked, banned, ...) it stays away.

import { CLOSE, closeWords, isID } from './protocol.js';
import { ChatError, upload } from './http.js';
import { OUTBOX_TYPES } from './outbox.js';
import { Sender } from './sending.js';
import { SeenIDs, roomKey } from './seen.js';
import { TokenRenewal } from './renewal.js';
import { Reconnection } from './reconnection.js';
import { Emitter } from './emitter.js';
import { Answers } from './answers.js';
import { Connection, chatURL } from './connection.js';

const TYPING_MS = 2000; // the server passes on one typing event per 2 s

export class ChatClient {
  #opts;
  #conn = null; // the current connection
  #events = new Emitter();
  #sender;
  #answers = new Answers();
  #ids = new SeenIDs();
  #reconnection;
  #renewal;
  #lastTyping = 0;
  #stopped = false;
  #ended = null; // the ChatError the client stopped for good with
  #joinedOnce = false;

  /** The connection's state: idle, connecting, open, reconnecting or closed. */
  state = 'idle';
  /** The name, as the server spells it once welcomed. */
  name = '';
  room = 'lobby';
  /** Who is in the room, as the welcome and join and leave events say. */
  online = [];
  /** The upload credential of the current connection. */
  uploadCredential = '';
  token = '';
  /** The connection is welcomed and its replay is through: what is sent now comes after it. */
  caughtUp = false;

  /**
   * @param {object} opts the ClientOptions of types/index.d.ts: server
   * (http(s):// or ws(s)://; default this page's), name or token, room,
   * since, WebSocket (a constructor, where there is no global one), and
   * the options of the parts they tune: renewToken (renewal.js),
   * connectTimeoutMs, answerTimeoutMs and inbound (connection.js), firstRetryMs,
   * maxRetryMs and random (reconnection.js), outbox and outbound
   * (sending.js).
   */
  constructor(opts = {}) {
    this.#opts = { firstRetryMs: 1000, maxRetryMs: 30000, connectTimeoutMs: 15000, answerTimeoutMs: 15000, random: Math.random, ...opts };
    this.#sender = new Sender(this.#opts, {
      frame: (text) => this.#sendFrame(text),
      connection: () => this.#conn,
      caughtUp: () => this.caughtUp,
      emit: (type, ev) => this.#events.emit(type, ev),
    });
    this.#reconnection = new Reconnection(this.#opts);
    this.#renewal = new TokenRenewal(this.#opts, {
      token: () => this.token,
      renew: (token) => this.renew(token),
      refused: (e) => this.#events.emit('refusal', { code: e.code ?? 'token-refused', text: e.message, renewal: true }),
      stopped: () => this.#stopped,
    });
    this.name = opts.name ?? '';
    this.room = opts.room || 'lobby';
    this.token = opts.token ?? '';
    if (opts.since && isID(opts.since)) this.#ids.startAt(this.room, opts.since);
  }

  /** on calls fn with every event of type; it returns a function that stops it. */
  on(type, fn) {
    return this.#events.on(type, fn);
  }

  #setState(state, detail = {}) {
    this.state = state;
    this.#events.emit('state', { state, ...detail });
  }

  /** connect opens the connection, and keeps it open until close. */
  connect() {
    this.#stopped = false;
    this.#ended = null;
    this.#reconnection.stop();
    const WS = this.#opts.WebSocket ?? globalThis.WebSocket;
    if (!WS) throw new Error('wschat: no WebSocket: pass one as the WebSocket option');
    const url = chatURL(this.#opts.server, { room: this.room, token: this.token, name: this.name, since: this.lastID() });
    const ws = new WS(url);
    this.#conn?.drop();
    this.#conn = new Connection(ws, this.#opts, {
      receive: (ev) => this.#receive(ev),
      caughtUp: () => this.#caughtUp(),
      waits: () => this.#answers.waits() || this.#sender.awaitsAck(),
      closed: (code, reason) => this.#closed(code, reason),
    });
    this.caughtUp = false;
    this.#setState('connecting', { again: this.#joinedOnce });
  }

  /** close leaves the chat: no reconnection; what waits in the outbox is refused ('closed'). */
  close() {
    if (this.#ended) return; // closed already
    this.#stopped = true;
    this.#stopTimers();
    const conn = this.#conn;
    this.#conn = null;
    conn?.close(CLOSE.NORMAL, 'left');
    this.#end('closed', 'the client left');
  }

  /** lastID returns the newest message id seen in room (default: the current one), or ''. */
  lastID(room = this.room) {
    return this.#ids.last(room);
  }

  // Sending.

  #sendFrame(text) {
    return this.#conn?.send(text) ?? false;
  }

  /** #queue puts a request in the outbox and returns a promise of its ack; it goes now if it can. */
  #queue(request, tag) {
    if (this.#ended) return Promise.reject(this.#ended);
    return this.#sender.queue(request, tag);
  }

  /** waiting returns what waits in the outbox, oldest first: { request, tag, sent }. */
  waiting() {
    return this.#sender.waiting();
  }

  /** cancel takes the request clientID out of the outbox, refused with 'cancelled'; it reports whether it waited. */
  cancel(clientID) {
    return this.#sender.settle(clientID, null, new ChatError('cancelled', 'the app took it back'));
  }

  /**
   * send sends a message to the room, resolving with its ack ({ client_id,
   * id }) once the server took it. clientID, if given, is its client_id
   * (unique: newClientID makes one), so that the app knows its own
   * message when it comes back. tag is the app's own (JSON, when the
   * outbox is kept): it comes back with the request in waiting() and
   * the settled event.
   */
  send(text, { replyTo, clientID, tag } = {}) {
    return this.#queue({ type: 'message', text, ...(replyTo ? { reply_to: replyTo } : {}), ...(clientID ? { client_id: clientID } : {}) }, tag);
  }

  /** sendPrivate sends a private message to the name to; clientID and tag as in send. */
  sendPrivate(to, text, { clientID, tag } = {}) {
    return this.#queue({ type: 'private', to, text, ...(clientID ? { client_id: clientID } : {}) }, tag);
  }

  /** edit gives the app's own message id the text. */
  edit(id, text, { tag } = {}) {
    return this.#queue({ type: 'edit', id, text }, tag);
  }

  /** remove deletes the app's own message id. */
  remove(id, { tag } = {}) {
    return this.#queue({ type: 'delete', id }, tag);
  }

  /** react puts emoji on the message id, or takes it back. */
  react(id, emoji, { tag } = {}) {
    return this.#queue({ type: 'react', id, emoji }, tag);
  }

  /**
   * request puts a request of the outbox (message, private, edit, delete,
   * react) through it as given, with fields the methods above do not take
   * (a sealed message's); tag as in send.
   */
  request(request, { tag } = {}) {
    if (!OUTBOX_TYPES.has(request?.type)) return Promise.reject(new ChatError('usage', `${request?.type} is not a request of the outbox`));
    return this.#queue(request, tag);
  }

  /**
   * command sends text as it is on the open connection: a command
   * (/kick NAME) or a request whose answer the app reads from the
   * events itself; it reports whether it went.
   */
  command(text) {
    return this.state === 'open' && this.#sendFrame(text);
  }

  /** typing tells the room the person is typing: at most once every 2 s, the rest are not sent. */
  typing() {
    const now = Date.now();
    if (now - this.#lastTyping < TYPING_MS || !this.caughtUp) return false;
    this.#lastTyping = now;
    return this.#sendFrame('/typing');
  }

  /** join moves to room, resolving with its welcome, rejecting with the refusal's code. */
  join(room) {
    if (!this.caughtUp) return Promise.reject(new ChatError('offline', 'not connected'));
    return this.#answers.join(room, (text) => this.#sendFrame(text));
  }

  /** #ask sends a request whose answer is an event carrying its client_id. */
  #ask(request) {
    if (!this.caughtUp) return Promise.reject(new ChatError('offline', 'not connected'));
    return this.#answers.ask(request, (text) => this.#sendFrame(text));
  }

  /** history resolves with the page of the room's messages before before ({ messages, more, before }). */
  history({ before, limit } = {}) {
    return this.#ask({ type: 'history', ...(before ? { before } : {}), ...(limit ? { limit } : {}) });
  }

  /** search resolves with the room's messages that say text. */
  search(text, before) {
    return this.#ask({ type: 'search', text, ...(before ? { before } : {}) });
  }

  /** rooms resolves with the rooms, with unread counts after the ids seen names ({ room: id }). */
  rooms(seen = {}) {
    return this.#ask({ type: 'rooms', seen });
  }

  /**
   * uploadFile shares file in the room, or with the person to, resolving
   * with { name, size, type, url } once kept; onProgress and signal as
   * in http.js's upload.
   */
  uploadFile(file, { to, name, onProgress, signal } = {}) {
    const credential = this.token || this.uploadCredential;
    if (!credential) return Promise.reject(new ChatError('offline', 'not connected: no upload credential yet'));
    return upload(this.#opts.server, file, to ? { to } : { room: this.room }, credential, { name, onProgress, signal });
  }

  /** renew takes a new token now: reconnections use it, and the open connection sends it with /token. */
  renew(token) {
    this.token = token;
    this.#events.emit('token', { token });
    if (this.#conn && this.state === 'open') this.#sendFrame(`/token ${token}`);
    this.#renewal.schedule();
  }

  // Receiving.

  /** #receive reads an event of the current connection. */
  #receive(ev) {
    const cid = typeof ev.client_id === 'string' ? ev.client_id : '';
    switch (ev.type) {
      case 'welcome':
        this.#welcomed(ev);
        return;
      case 'message':
      case 'file':
        if (!this.#fresh(ev.room, ev.id)) return;
        if (cid) this.#sender.settle(cid, { client_id: cid, id: ev.id });
        break;
      case 'edit':
      case 'delete':
      case 'react':
        if (!this.#fresh(ev.room, ev.action_id)) return;
        if (cid) this.#sender.settle(cid, { client_id: cid, id: ev.action_id });
        break;
      case 'private':
        if (ev.id && !this.#fresh('\u0000private', ev.id, false)) return;
        if (cid) this.#sender.settle(cid, { client_id: cid, id: ev.id ?? '' });
        break;
      case 'ack':
        this.#sender.settle(cid, { client_id: cid, id: ev.id ?? '', repeat: ev.repeat === true });
        return;
      case 'rooms':
      case 'history':
      case 'search':
        if (this.#answers.answered(cid, ev)) return;
        break;
      case 'error':
        this.#refused(cid, ev);
        return;
      case 'notice':
        this.#answers.notice(ev);
        break;
      case 'join':
      case 'leave':
        if (typeof ev.room === 'string' && roomKey(ev.room) === roomKey(this.room)) {
          this.online = this.online.filter((n) => n !== ev.name);
          if (ev.type === 'join') this.online.push(ev.name);
        }
        break;
    }
    this.#events.emit(ev.type, ev);
  }

  /** #fresh records id as handed over in room (an event's room field: the current room when it has none), and reports false when it was already. */
  #fresh(room, id, advance = true) {
    return this.#ids.fresh(typeof room === 'string' ? room : this.room, id, advance);
  }

  #welcomed(ev) {
    this.#conn.stopDeadline();
    const again = this.#joinedOnce;
    const moved = this.state === 'open';
    Object.assign(this, { name: ev.name ?? this.name, room: ev.room || this.room, uploadCredential: ev.upload ?? '' });
    this.online = Array.isArray(ev.online) ? ev.online.filter((n) => typeof n === 'string') : [];
    // A move hands the room's replay over in full, even what an earlier
    // visit saw: the app starts the room again, or knows its messages by id.
    if (moved) this.#ids.forget(this.room);
    this.#joinedOnce = true;
    this.#reconnection.welcomed();
    this.#setState('open', { again });
    this.#events.emit('welcome', { ...ev, again, moved });
    if (ev.recovered === false) this.#events.emit('gap', { room: this.room });
    this.#answers.welcomed(ev);
    this.#renewal.schedule();
    this.caughtUp = false;
    this.#conn?.catchUp();
  }

  /** #caughtUp is told the replay after the welcome is through: what is sent now comes after it. */
  #caughtUp() {
    this.caughtUp = true;
    this.#events.emit('caughtup', { room: this.room });
    this.#sender.flush();
  }

  #refused(cid, ev) {
    const code = typeof ev.code === 'string' ? ev.code : 'unknown';
    if (this.#answers.refused(cid, code, ev.text) || this.#sender.refused(cid, code, ev.text)) return;
    this.#events.emit('refusal', { code, text: ev.text, ...(cid ? { client_id: cid } : {}) });
  }

  // Closing and coming back.

  #closed(code, reason) {
    const wasWelcomed = this.state === 'open';
    this.#conn?.drop();
    this.#conn = null;
    this.caughtUp = false;
    this.#answers.lost();
    this.#sender.lost(code === CLOSE.TOO_BIG, closeWords[code]);
    if (this.#stopped) return;
    const next = this.#reconnection.next(code, reason, { welcomed: wasWelcomed, joinedOnce: this.#joinedOnce });
    if (next.then === 'renew') this.#letInAgain(next.code, next.words, code);
    else if (next.then === 'end') this.#end(next.code, next.words, code);
    else {
      this.#events.emit('disconnected', { code, reason: next.code, text: next.words, welcomed: wasWelcomed });
      this.#later(next.code, next.words, code, next.most);
    }
  }

  /** #later reconnects after the backoff, or within most ms; the state event says when (at, in ms since the epoch) and why. */
  #later(code, words, close, most = Infinity) {
    const { delay, attempt } = this.#reconnection.later(() => this.connect(), most);
    this.#setState('reconnecting', { delay, at: Date.now() + delay, code, text: words, close, attempt });
  }

  /**
   * retryNow connects at once when a reconnection waits, and sends what
   * waits in the outbox at once when caught up; it reports whether it
   * did either.
   */
  retryNow() {
    if (this.state === 'reconnecting' && !this.#stopped) {
      this.connect();
      return true;
    }
    if (!this.caughtUp) return false;
    this.#sender.flush();
    return true;
  }

  /** #letInAgain asks the app for a new token after the server refused the one it had. */
  async #letInAgain(code, words, close) {
    if (!this.#opts.renewToken) {
      this.#end(code, words, close);
      return;
    }
    try {
      this.token = await this.#opts.renewToken(this.token);
      this.#events.emit('token', { token: this.token });
      if (!this.#stopped) this.#later(code, words, close);
    } catch {
      this.#end(code, words, close);
    }
  }

  /** #end stops for good: the app is told why, by code (and close, the close code), and what waits is refused with it. */
  #end(code, words, close = 0) {
    this.#stopped = true;
    this.#stopTimers();
    this.caughtUp = false;
    this.#ended = new ChatError(code, words);
    this.#setState('closed', { code, text: words, ...(close ? { close } : {}) });
    this.#sender.refuseAll(this.#ended);
  }

  #stopTimers() {
    this.#conn?.stopDeadline();
    this.#sender.stop();
    this.#reconnection.stop();
    this.#renewal.stop();
  }
}
