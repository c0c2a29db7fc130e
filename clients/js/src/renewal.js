// Token renewal for a ChatClient: a token is renewed a little before it
// runs out, with the app's renewToken option, async (token) → new token,
// or, without one, from the server that issued it (POST /api/token,
// http.js's renewToken); with renewToken null, never.

import { renewToken } from './http.js';
import { tokenExpiry } from './protocol.js';

/** A token is renewed this long before it runs out (half its life if shorter). */
const RENEW_MARGIN_MS = 60000;
/** The wait before a renewal that failed is tried again, while the token lasts. */
const AGAIN_MS = 10000;

/**
 * TokenRenewal keeps the timer that renews one client's token. The
 * client gives it hooks: token() (the token now), renew(token) (takes
 * the new one), refused(error) (a renewal failed) and stopped() (the
 * client is closed: nothing more is taken).
 */
export class TokenRenewal {
  #take; // async (token) → new token, or null: never renewed
  #hooks;
  #timer = 0;

  /** opts are the client's: renewToken (null: never renewed) and server. */
  constructor({ renewToken: take, server }, hooks) {
    this.#take = take === null ? null : take || (async (token) => (await renewToken(server, token)).token);
    this.#hooks = hooks;
  }

  /** schedule sets the renewal for the current token's expiry, in place of any set before. */
  schedule() {
    this.stop();
    if (!this.#take) return;
    const token = this.#hooks.token();
    const exp = token ? tokenExpiry(token) : 0;
    if (!exp) return;
    const left = exp - Date.now();
    const wait = Math.max(0, left - Math.min(RENEW_MARGIN_MS, left / 2));
    this.#timer = setTimeout(() => this.#now(), wait);
  }

  stop() {
    clearTimeout(this.#timer);
  }

  async #now() {
    const hooks = this.#hooks;
    try {
      const fresh = await this.#take(hooks.token());
      if (!hooks.stopped()) hooks.renew(fresh);
    } catch (e) {
      hooks.refused(e);
      if (!hooks.stopped() && tokenExpiry(hooks.token()) > Date.now()) this.#timer = setTimeout(() => this.#now(), AGAIN_MS);
    }
  }
}
