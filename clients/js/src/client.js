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

import { CLOSE, FOR_NOW, TOO_BIG, afterClose, closeWords, parseReason, compareIDs, isID, newClientID, backoff, tokenExpiry } from './protocol.js';
import { ChatError, httpBase, renewToken, upload } from './http.js';
import { Outbox, MAX_OUTBOX, OUTBOX_TYPES } from './outbox.js';

const TYPING_MS = 2000; // the server passes on one typing event per 2 s
const MAX_SEEN = 2000; // ids remembered in each room, to hand nothing over twice
const RETRY_MS = 2000; // the wait before a request refused for now goes again
const RENEW_MARGIN_MS = 60000; // a token is renewed this long before it runs out (half its life if shorter)
const JOIN_REFUSALS = new Set(['bad-name', 'room-limit', 'same-room', 'unavailable', 'usage']);

/** roomKey is how rooms are told apart: case does not matter. */
const roomKey = (room) => room.toLowerCase();

export class ChatClient {
  #opts;
  #ws = null;
  #handlers = new Map();
  #outbox;
  #sending = Promise.resolve(); // the outbound option's requests, in order
  #waiting = new Map(); // client_id → { resolve, reject } of history, search and rooms requests
  #last = new Map(); // room key → the newest id seen there
  #seen = new Map(); // room key → the ids handed over there, the oldest first
  #attempt = 0;
  #reconnect = 0;
  #retry = 0;
  #renew = 0;
  #welcomeBy = 0; // gives up a connection that brought no welcome in time
  #answerBy = 0; // gives up a connection that went silent while a request waits
  #takenSince = 0;
  #lastTyping = 0;
  #syncID = '';
  #joining = null;
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
   * @param {object} opts server (http(s):// or ws(s)://; default this
   * page's), name or token, room, since, renewToken (async (token) → new
   * token; null: never renewed), WebSocket (a constructor, where there
   * is no global one), firstRetryMs, maxRetryMs, random, and
   * connectTimeoutMs: how long a connection may take to bring its
   * welcome before it is given up and tried again (a socket whose server
   * vanished mid-handshake may otherwise never say it closed);
   * answerTimeoutMs: how long the server may send nothing while a request
   * waits for its answer before the connection is given up and tried
   * again (a network gone silent, which a browser may not notice for
   * minutes). outbox
   * ({ load(), save(entries) }) keeps what waits beyond this client.
   * inbound (data, deliver) sees each frame first and hands deliver the
   * frame to read, in order; outbound (request) → request, null or a
   * promise of either sees each request of the outbox before it goes:
   * null holds it until retryNow, a throw refuses it (an app that seals
   * messages).
   */
  constructor(opts = {}) {
    this.#opts = { firstRetryMs: 1000, maxRetryMs: 30000, connectTimeoutMs: 15000, answerTimeoutMs: 15000, random: Math.random, ...opts };
    this.#outbox = new Outbox(opts.outbox);
    this.name = opts.name ?? '';
    this.room = opts.room || 'lobby';
    this.token = opts.token ?? '';
    if (opts.since && isID(opts.since)) this.#last.set(roomKey(this.room), opts.since);
  }

  /** on calls fn with every event of type; it returns a function that stops it. */
  on(type, fn) {
    if (!this.#handlers.has(type)) this.#handlers.set(type, new Set());
    this.#handlers.get(type).add(fn);
    return () => this.#handlers.get(type)?.delete(fn);
  }

  #emit(type, ev) {
    for (const fn of this.#handlers.get(type) ?? []) {
      try {
        fn(ev);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }

  #setState(state, detail = {}) {
    this.state = state;
    this.#emit('state', { state, ...detail });
  }

  /** connect opens the connection, and keeps it open until close. */
  connect() {
    this.#stopped = false;
    this.#ended = null;
    clearTimeout(this.#reconnect);
    const WS = this.#opts.WebSocket ?? globalThis.WebSocket;
    if (!WS) throw new Error('wschat: no WebSocket: pass one as the WebSocket option');
    const ws = new WS(this.#url());
    this.#ws = ws;
    this.caughtUp = false;
    this.#setState('connecting', { again: this.#joinedOnce });
    const deliver = (data) => ws === this.#ws && this.#receive(data);
    ws.onmessage = (e) => {
      if (ws !== this.#ws || typeof e.data !== 'string') return;
      if (this.#answerBy) this.#awaitAnswer(); // the server is there: wait anew
      if (this.#opts.inbound) this.#opts.inbound(e.data, deliver);
      else deliver(e.data);
    };
    ws.onclose = (e) => {
      if (ws === this.#ws) this.#closed(e.code, e.reason ?? '');
    };
    clearTimeout(this.#welcomeBy);
    this.#welcomeBy = setTimeout(() => {
      if (ws !== this.#ws || this.state === 'open') return;
      this.#ws = null;
      ws.close();
      this.#closed(CLOSE.ABNORMAL, '');
    }, this.#opts.connectTimeoutMs);
  }

  /** close leaves the chat: no reconnection; what waits in the outbox is refused ('closed'). */
  close() {
    if (this.#ended) return; // closed already
    this.#stopped = true;
    this.#stopTimers();
    const ws = this.#ws;
    this.#ws = null;
    ws?.close(CLOSE.NORMAL, 'left');
    this.#end('closed', 'the client left');
  }

  /** lastID returns the newest message id seen in room (default: the current one), or ''. */
  lastID(room = this.room) {
    return this.#last.get(roomKey(room)) ?? '';
  }

  #url() {
    const u = new URL('/ws/chat', httpBase(this.#opts.server));
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    const q = new URLSearchParams({ format: 'json', room: this.room });
    if (this.token) q.set('token', this.token);
    else q.set('name', this.name);
    const since = this.lastID();
    if (since) q.set('since', since);
    u.search = q.toString();
    return u.href;
  }

  // Sending.

  #sendFrame(text) {
    if (!this.#ws || this.#ws.readyState !== 1) return false;
    this.#ws.send(text);
    if (!this.#answerBy) this.#awaitAnswer();
    return true;
  }

  /**
   * #awaitAnswer gives the connection answerTimeoutMs to send something;
   * if it sends nothing while a request waits for its answer, it is given
   * up as lost, and what waits goes again once it is back (the client_id
   * keeps it from being carried out twice).
   */
  #awaitAnswer() {
    clearTimeout(this.#answerBy);
    const ws = this.#ws;
    this.#answerBy = setTimeout(() => {
      this.#answerBy = 0;
      const waits = this.#waiting.size > 0 || this.#syncID || this.#joining || this.#outbox.items.some((x) => x.sent);
      if (ws !== this.#ws || !waits) return;
      this.#ws = null;
      ws.close();
      this.#closed(CLOSE.ABNORMAL, '');
    }, this.#opts.answerTimeoutMs);
  }

  /** #queue puts a request in the outbox and returns a promise of its ack; it goes now if it can. */
  #queue(request, tag) {
    if (this.#ended) return Promise.reject(this.#ended);
    if (this.#outbox.length >= MAX_OUTBOX) return Promise.reject(new ChatError('outbox-full', `${MAX_OUTBOX} requests wait already`));
    return new Promise((resolve, reject) => {
      const item = this.#outbox.add({ ...request, client_id: request.client_id || newClientID() }, tag, resolve, reject);
      this.#emit('outbox', { waiting: this.#outbox.length });
      if (this.caughtUp) this.#sendItem(item);
    });
  }

  #sendItem(item) {
    const outbound = this.#opts.outbound;
    if (!outbound) {
      item.sent = this.#sendFrame(JSON.stringify(item.request));
      return;
    }
    item.sent = true; // on its way: not sent again meanwhile
    const ws = this.#ws;
    this.#sending = this.#sending.then(async () => {
      let request;
      try {
        request = await outbound(item.request);
      } catch (e) {
        item.sent = false;
        this.#settle(item.request.client_id, null, e instanceof ChatError ? e : new ChatError('not-sent', String(e?.message ?? e)));
        return;
      }
      if (this.#outbox.find(item.request.client_id) !== item) return;
      item.sent = Boolean(request) && ws === this.#ws && this.#sendFrame(JSON.stringify(request));
    });
  }

  #flush() {
    clearTimeout(this.#retry);
    for (const item of this.#outbox.items) if (!item.sent) this.#sendItem(item);
  }

  /** #settle takes the request cid out of the outbox with what answered it; it reports whether one was there. */
  #settle(cid, answer, err) {
    const item = this.#outbox.take(cid);
    if (!item) return false;
    if (err) item.reject(err);
    else item.resolve(answer);
    this.#emit('settled', { client_id: cid, request: item.request, tag: item.tag, ...(err ? { error: err } : { ack: answer }) });
    this.#emit('outbox', { waiting: this.#outbox.length });
    return true;
  }

  /** waiting returns what waits in the outbox, oldest first: { request, tag, sent }. */
  waiting() {
    return this.#outbox.items.map(({ request, tag, sent }) => ({ request, tag, sent }));
  }

  /** cancel takes the request clientID out of the outbox, refused with 'cancelled'; it reports whether it waited. */
  cancel(clientID) {
    return this.#settle(clientID, null, new ChatError('cancelled', 'the app took it back'));
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
    this.#joining?.reject(new ChatError('superseded', `a move to ${room} came after`));
    return new Promise((resolve, reject) => {
      this.#joining = { room, resolve, reject };
      this.#sendFrame(`/join ${room}`);
    });
  }

  /** #ask sends a request whose answer is an event carrying its client_id. */
  #ask(request) {
    if (!this.caughtUp) return Promise.reject(new ChatError('offline', 'not connected'));
    const cid = newClientID();
    return new Promise((resolve, reject) => {
      this.#waiting.set(cid, { resolve, reject });
      this.#sendFrame(JSON.stringify({ ...request, client_id: cid }));
    });
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
    this.#emit('token', { token });
    if (this.#ws && this.state === 'open') this.#sendFrame(`/token ${token}`);
    this.#scheduleRenew();
  }

  #scheduleRenew() {
    clearTimeout(this.#renew);
    if (this.#opts.renewToken === null) return;
    const exp = this.token ? tokenExpiry(this.token) : 0;
    if (!exp) return;
    const left = exp - Date.now();
    const wait = Math.max(0, left - Math.min(RENEW_MARGIN_MS, left / 2));
    this.#renew = setTimeout(() => this.#renewNow(), wait);
  }

  async #renewNow() {
    try {
      const fresh = this.#opts.renewToken
        ? await this.#opts.renewToken(this.token)
        : (await renewToken(this.#opts.server, this.token)).token;
      if (!this.#stopped) this.renew(fresh);
    } catch (e) {
      this.#emit('refusal', { code: e.code ?? 'token-refused', text: e.message, renewal: true });
      if (!this.#stopped && tokenExpiry(this.token) > Date.now()) this.#renew = setTimeout(() => this.#renewNow(), 10000);
    }
  }

  // Receiving.

  #receive(data) {
    let ev;
    try {
      ev = JSON.parse(data);
    } catch {
      return;
    }
    if (ev === null || typeof ev !== 'object' || typeof ev.type !== 'string') return;
    const cid = typeof ev.client_id === 'string' ? ev.client_id : '';
    switch (ev.type) {
      case 'welcome':
        this.#welcomed(ev);
        return;
      case 'message':
      case 'file':
        if (!this.#fresh(ev.room, ev.id)) return;
        if (cid) this.#settle(cid, { client_id: cid, id: ev.id });
        break;
      case 'edit':
      case 'delete':
      case 'react':
        if (!this.#fresh(ev.room, ev.action_id)) return;
        if (cid) this.#settle(cid, { client_id: cid, id: ev.action_id });
        break;
      case 'private':
        if (ev.id && !this.#fresh('\u0000private', ev.id, false)) return;
        if (cid) this.#settle(cid, { client_id: cid, id: ev.id ?? '' });
        break;
      case 'ack':
        this.#settle(cid, { client_id: cid, id: ev.id ?? '', repeat: ev.repeat === true });
        return;
      case 'rooms':
      case 'history':
      case 'search':
        if (cid === this.#syncID && cid) {
          this.#caughtUp();
          return;
        }
        if (this.#answer(cid, ev)) return;
        break;
      case 'error':
        this.#refused(cid, ev);
        return;
      case 'notice':
        if (this.#joining && JOIN_REFUSALS.has(ev.code)) {
          this.#joining.reject(new ChatError(ev.code, ev.text));
          this.#joining = null;
        }
        break;
      case 'join':
      case 'leave':
        if (typeof ev.room === 'string' && roomKey(ev.room) === roomKey(this.room)) {
          this.online = this.online.filter((n) => n !== ev.name);
          if (ev.type === 'join') this.online.push(ev.name);
        }
        break;
    }
    this.#emit(ev.type, ev);
  }

  /** #fresh records id as handed over in room, and reports false when it was already. */
  #fresh(room, id, advance = true) {
    if (!isID(id)) return true;
    const k = roomKey(typeof room === 'string' ? room : this.room);
    let seen = this.#seen.get(k);
    if (!seen) this.#seen.set(k, (seen = new Set()));
    if (seen.has(id)) return false;
    seen.add(id);
    if (seen.size > MAX_SEEN) seen.delete(seen.values().next().value);
    if (advance && compareIDs(id, this.#last.get(k) ?? '0-0') > 0) this.#last.set(k, id);
    return true;
  }

  #answer(cid, ev) {
    const w = this.#waiting.get(cid);
    if (!w) return false;
    this.#waiting.delete(cid);
    w.resolve(ev);
    return true;
  }

  #welcomed(ev) {
    clearTimeout(this.#welcomeBy);
    const again = this.#joinedOnce;
    const moved = this.state === 'open';
    Object.assign(this, { name: ev.name ?? this.name, room: ev.room || this.room, uploadCredential: ev.upload ?? '' });
    this.online = Array.isArray(ev.online) ? ev.online.filter((n) => typeof n === 'string') : [];
    // A move hands the room's replay over in full, even what an earlier
    // visit saw: the app starts the room again, or knows its messages by id.
    if (moved) this.#seen.delete(roomKey(this.room));
    this.#joinedOnce = true;
    this.#attempt = 0;
    this.#takenSince = 0;
    this.#setState('open', { again });
    this.#emit('welcome', { ...ev, again, moved });
    if (ev.recovered === false) this.#emit('gap', { room: this.room });
    if (this.#joining) {
      this.#joining.resolve(ev);
      this.#joining = null;
    }
    this.#scheduleRenew();
    // The server answers a request after the replay: the answer to this
    // one says the replay is through.
    this.caughtUp = false;
    this.#syncID = newClientID();
    this.#sendFrame(JSON.stringify({ type: 'rooms', client_id: this.#syncID }));
  }

  #caughtUp() {
    this.#syncID = '';
    this.caughtUp = true;
    this.#emit('caughtup', { room: this.room });
    this.#flush();
  }

  #refused(cid, ev) {
    const code = typeof ev.code === 'string' ? ev.code : 'unknown';
    if (cid && cid === this.#syncID) {
      this.#caughtUp(); // refused after the replay all the same
      return;
    }
    const w = this.#waiting.get(cid);
    if (w) {
      this.#waiting.delete(cid);
      w.reject(new ChatError(code, ev.text));
      return;
    }
    const item = this.#outbox.find(cid);
    if (item && FOR_NOW.has(code)) {
      item.sent = false;
      this.#emit('refusal', { code, text: ev.text, for_now: true, client_id: cid });
      clearTimeout(this.#retry);
      this.#retry = setTimeout(() => this.caughtUp && this.#flush(), RETRY_MS);
      return;
    }
    if (item) {
      // A deletion sent again after a reconnection that finds its message gone is done.
      if (item.request.type === 'delete' && code === 'no-such-message') this.#settle(cid, { client_id: cid, id: '' });
      else this.#settle(cid, null, new ChatError(code, ev.text));
      return;
    }
    this.#emit('refusal', { code, text: ev.text, ...(cid ? { client_id: cid } : {}) });
  }

  // Closing and coming back.

  #closed(code, reason) {
    const wasWelcomed = this.state === 'open';
    this.#ws = null;
    this.caughtUp = false;
    clearTimeout(this.#answerBy);
    this.#answerBy = 0;
    for (const [, w] of this.#waiting) w.reject(new ChatError('disconnected', 'the connection was lost'));
    this.#waiting.clear();
    this.#joining?.reject(new ChatError('disconnected', 'the connection was lost'));
    this.#joining = null;
    clearTimeout(this.#retry);
    if (code === CLOSE.TOO_BIG) {
      const item = [...this.#outbox.items].reverse().find((x) => x.sent);
      if (item) this.#settle(item.request.client_id, null, new ChatError(TOO_BIG, closeWords[code]));
    }
    for (const item of this.#outbox.items) item.sent = false;
    if (this.#stopped) return;
    const r = parseReason(reason);
    const words = r.words || closeWords[code] || '';
    const takenFor = this.#takenSince ? Date.now() - this.#takenSince : 0;
    const next = afterClose(code, reason, { welcomed: wasWelcomed, joinedOnce: this.#joinedOnce, takenFor });
    if (next.then === 'renew') {
      this.#letInAgain(r.code, words, code);
      return;
    }
    if (next.then === 'end') {
      this.#end(r.code, words, code);
      return;
    }
    this.#takenSince = next.taken ? this.#takenSince || Date.now() : 0;
    this.#emit('disconnected', { code, reason: r.code, text: words, welcomed: wasWelcomed });
    this.#later(r.code, words, code, next.most);
  }

  /** #later reconnects after the backoff, or within most ms; the state event says when (at, in ms since the epoch) and why. */
  #later(code, words, close, most = Infinity) {
    const delay = Math.min(most, backoff(this.#attempt++, this.#opts.firstRetryMs, this.#opts.maxRetryMs, this.#opts.random));
    this.#reconnect = setTimeout(() => this.connect(), delay);
    this.#setState('reconnecting', { delay, at: Date.now() + delay, code, text: words, close, attempt: this.#attempt });
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
    this.#flush();
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
      this.#emit('token', { token: this.token });
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
    for (const { request } of [...this.#outbox.items]) this.#settle(request.client_id, null, this.#ended);
  }

  #stopTimers() {
    for (const t of [this.#reconnect, this.#retry, this.#renew, this.#welcomeBy, this.#answerBy]) clearTimeout(t);
  }
}
