// How a ChatClient sends what waits in its outbox (outbox.js, kept
// beyond the client by the outbox option's store): each request goes
// once the connection has caught up and waits until the server answers
// it by its client_id (an ack, the event it caused, or a refusal). The
// outbound option, (request) → request, null or a promise of either,
// sees each request before it goes, in order (an app that seals
// messages): null holds it until retryNow, a throw refuses it. A refusal
// for now sends it again a little later; a close sends it again on the
// next connection.

import { FOR_NOW, TOO_BIG, newClientID } from './protocol.js';
import { ChatError } from './http.js';
import { Outbox, MAX_OUTBOX } from './outbox.js';

/** The wait before a request refused for now goes again. */
const RETRY_MS = 2000;

/**
 * Sender puts one client's requests through its outbox. The client gives
 * it hooks: frame(text) (sends on the open connection, reporting whether
 * it went), connection() (the current one, to tell connections apart),
 * caughtUp() (what is sent now comes after the replay) and
 * emit(type, event) (the outbox and settled events, and refusals for now).
 */
export class Sender {
  #outbox;
  #outbound; // the outbound option, or undefined
  #hooks;
  #sending = Promise.resolve(); // the outbound option's requests, in order
  #retry = 0;

  /** opts are the client's: outbox (a store, or none) and outbound. */
  constructor({ outbox, outbound }, hooks) {
    this.#outbox = new Outbox(outbox);
    this.#outbound = outbound;
    this.#hooks = hooks;
  }

  /** queue puts a request in the outbox and returns a promise of its ack; it goes now if it can. */
  queue(request, tag) {
    if (this.#outbox.length >= MAX_OUTBOX) return Promise.reject(new ChatError('outbox-full', `${MAX_OUTBOX} requests wait already`));
    return new Promise((resolve, reject) => {
      const item = this.#outbox.add({ ...request, client_id: request.client_id || newClientID() }, tag, resolve, reject);
      this.#hooks.emit('outbox', { waiting: this.#outbox.length });
      if (this.#hooks.caughtUp()) this.#send(item);
    });
  }

  #send(item) {
    const { frame, connection } = this.#hooks;
    const outbound = this.#outbound;
    if (!outbound) {
      item.sent = frame(JSON.stringify(item.request));
      return;
    }
    item.sent = true; // on its way: not sent again meanwhile
    const conn = connection();
    this.#sending = this.#sending.then(async () => {
      let request;
      try {
        request = await outbound(item.request);
      } catch (e) {
        item.sent = false;
        this.settle(item.request.client_id, null, e instanceof ChatError ? e : new ChatError('not-sent', String(e?.message ?? e)));
        return;
      }
      if (this.#outbox.find(item.request.client_id) !== item) return;
      item.sent = Boolean(request) && conn === connection() && frame(JSON.stringify(request));
    });
  }

  /** flush sends what waits and is not on its way. */
  flush() {
    clearTimeout(this.#retry);
    for (const item of this.#outbox.items) if (!item.sent) this.#send(item);
  }

  /** settle takes the request cid out of the outbox with what answered it; it reports whether one was there. */
  settle(cid, answer, err) {
    const item = this.#outbox.take(cid);
    if (!item) return false;
    if (err) item.reject(err);
    else item.resolve(answer);
    this.#hooks.emit('settled', { client_id: cid, request: item.request, tag: item.tag, ...(err ? { error: err } : { ack: answer }) });
    this.#hooks.emit('outbox', { waiting: this.#outbox.length });
    return true;
  }

  /** awaitsAck reports whether a request was sent and waits for its acknowledgement. */
  awaitsAck() {
    return this.#outbox.items.some((x) => x.sent);
  }

  /** waiting returns what waits, oldest first: { request, tag, sent }. */
  waiting() {
    return this.#outbox.items.map(({ request, tag, sent }) => ({ request, tag, sent }));
  }

  /**
   * refused settles the request cid with the server's refusal (code,
   * text), or, for a refusal for now, sends it again after RETRY_MS; it
   * reports whether the request was in the outbox.
   */
  refused(cid, code, text) {
    const item = this.#outbox.find(cid);
    if (!item) return false;
    if (FOR_NOW.has(code)) {
      item.sent = false;
      this.#hooks.emit('refusal', { code, text, for_now: true, client_id: cid });
      clearTimeout(this.#retry);
      this.#retry = setTimeout(() => this.#hooks.caughtUp() && this.flush(), RETRY_MS);
      return true;
    }
    // A deletion sent again after a reconnection that finds its message gone is done.
    if (item.request.type === 'delete' && code === 'no-such-message') this.settle(cid, { client_id: cid, id: '' });
    else this.settle(cid, null, new ChatError(code, text));
    return true;
  }

  /**
   * lost is told the connection closed: what was sent goes again on the
   * next one, but for the request the server closed it over when it was
   * too big (words say so): the newest sent, refused with TOO_BIG.
   */
  lost(tooBig, words) {
    clearTimeout(this.#retry);
    if (tooBig) {
      const item = [...this.#outbox.items].reverse().find((x) => x.sent);
      if (item) this.settle(item.request.client_id, null, new ChatError(TOO_BIG, words));
    }
    for (const item of this.#outbox.items) item.sent = false;
  }

  /** refuseAll settles everything that waits with err: the client stopped for good. */
  refuseAll(err) {
    for (const { request } of [...this.#outbox.items]) this.settle(request.client_id, null, err);
  }

  /** stop drops the sending again of what was refused for now. */
  stop() {
    clearTimeout(this.#retry);
  }
}
