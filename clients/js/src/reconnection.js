// What follows a ChatClient's close: whether it comes back (protocol.js's
// afterClose decides), and when: after a backoff with jitter that grows
// with each attempt, and, while reconnections find the name taken, only
// until the server has surely dropped the client's own previous
// connection (docs/protocol.md, "History and reconnecting").

import { afterClose, backoff, closeWords, parseReason } from './protocol.js';

/** Reconnection keeps one client's count of attempts, its timer, and since when the name has been found taken. */
export class Reconnection {
  #opts;
  #attempt = 0;
  #timer = 0;
  #takenSince = 0; // ms since the epoch; 0: the name was not found taken

  /** opts are the client's: firstRetryMs, maxRetryMs and random. */
  constructor({ firstRetryMs, maxRetryMs, random }) {
    this.#opts = { firstRetryMs, maxRetryMs, random };
  }

  /** welcomed starts again from the first attempt: the connection is back. */
  welcomed() {
    this.#attempt = 0;
    this.#takenSince = 0;
  }

  /**
   * next says what follows the close (close code, reason) of a connection
   * that was welcomed or not, by a client that joined once or not: then
   * and most as afterClose says, with the reason's code and its words for
   * a person. When the client comes back, it keeps whether the name was
   * taken.
   */
  next(close, reason, { welcomed, joinedOnce }) {
    const takenFor = this.#takenSince ? Date.now() - this.#takenSince : 0;
    const next = afterClose(close, reason, { welcomed, joinedOnce, takenFor });
    if (next.then === 'again') this.#takenSince = next.taken ? this.#takenSince || Date.now() : 0;
    const { code, words } = parseReason(reason);
    return { then: next.then, most: next.most, code, words: words || closeWords[close] || '' };
  }

  /** later calls connect after the backoff, or within most ms, and returns the wait and the attempt's number. */
  later(connect, most = Infinity) {
    const { firstRetryMs, maxRetryMs, random } = this.#opts;
    const delay = Math.min(most, backoff(this.#attempt++, firstRetryMs, maxRetryMs, random));
    this.#timer = setTimeout(connect, delay);
    return { delay, attempt: this.#attempt };
  }

  /** stop drops the reconnection that waits, if one does. */
  stop() {
    clearTimeout(this.#timer);
  }
}
