// The wschat protocol's small parts, shared by the client (client.js)
// and the built-in page: close reasons and their codes, message ids,
// client ids, and the wait before a reconnection. docs/protocol.md is
// the reference.

/** Close codes the server sends (RFC 6455 §7.4.1). */
export const CLOSE = Object.freeze({ NORMAL: 1000, GOING_AWAY: 1001, ABNORMAL: 1006, POLICY: 1008, TOO_BIG: 1009 });

/** Codes of refusals that are for now: the same request may be sent again later. */
export const FOR_NOW = new Set(['unavailable', 'slow-down', 'not-stored']);

/** Codes of a close that mean the token is no good: a new one is needed. */
export const NOT_LET_IN = new Set(['auth-required', 'token-expired']);

/** Codes of a close after which a client does not come back by itself: the person decides (docs/protocol.md, "Moderation"). */
export const KEPT_OUT = new Set(['kicked', 'banned', 'invite-only']);

/** The code of a name in use: at a reconnection, most likely by the client's own previous connection. */
export const TAKEN = 'name-taken';

/** How long a reconnection refused as name-taken keeps trying: the server drops the client's own previous connection within two ping intervals. */
export const TAKEN_RETRY_MS = 90000;

/**
 * afterClose says what a client does once its connection closed with
 * close (the close code) and reason, given whether it was welcomed,
 * whether it ever was (joinedOnce), and for how long reconnections have
 * found the name taken (takenFor, in ms): then 'renew' (a new token
 * first), 'end' (for good: the person decides), or 'again' (reconnect;
 * within most ms, when the time to find the name free runs out; taken:
 * the name was still taken). docs/protocol.md, "History and reconnecting".
 */
export function afterClose(close, reason, { welcomed, joinedOnce, takenFor = 0 }) {
  const { code } = parseReason(reason);
  if (close !== CLOSE.POLICY || code === '') return { then: 'again' };
  if (NOT_LET_IN.has(code)) return { then: 'renew' };
  if (KEPT_OUT.has(code)) return { then: 'end' };
  if (welcomed) return { then: 'again' };
  if (code !== TAKEN || !joinedOnce || takenFor >= TAKEN_RETRY_MS) return { then: 'end' };
  return { then: 'again', most: TAKEN_RETRY_MS - takenFor, taken: true };
}

/** The code a client gives a request the server closed the connection over: it was too big (1009). */
export const TOO_BIG = 'too-big';

/** Plain words for the close codes the server sends without a reason. */
export const closeWords = Object.freeze({
  1001: 'the server is shutting down',
  1003: 'the server takes text messages only',
  1007: 'a message was not valid text',
  1008: 'the server dropped this connection',
  1009: 'a message was too long for the server',
  1011: 'the server had a problem',
});

const REASON = /^([a-z][a-z-]*): (.*)$/s;

/**
 * parseReason splits a close reason, "name-taken: name "bob" is taken",
 * into its code and the words for a person; a reason without a code has
 * code ''.
 */
export function parseReason(reason) {
  const m = REASON.exec(reason ?? '');
  return m ? { code: m[1], words: m[2] } : { code: '', words: reason ?? '' };
}

const ID = /^(\d{1,16})-(\d{1,10})$/;

/** isID reports whether s is a message id, MILLISECONDS-COUNT. */
export function isID(s) {
  return typeof s === 'string' && ID.test(s);
}

/** compareIDs orders two message ids as the server does: -1, 0 or 1. */
export function compareIDs(a, b) {
  const [, am, ac] = ID.exec(a) ?? [, '0', '0'];
  const [, bm, bc] = ID.exec(b) ?? [, '0', '0'];
  const d = BigInt(am) - BigInt(bm) || BigInt(ac) - BigInt(bc);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

let counter = 0;

/**
 * newClientID returns a client_id unique to this client: the server
 * remembers a name's newest 256 for an hour and carries out a request
 * once for each, so it must never repeat one by chance.
 */
export function newClientID() {
  counter += 1;
  const rand = globalThis.crypto.getRandomValues(new Uint32Array(2));
  return `${Date.now().toString(36)}.${counter.toString(36)}.${rand[0].toString(36)}${rand[1].toString(36)}`;
}

/**
 * backoff is the wait before reconnection attempt n (0 the first):
 * exponential from first up to max, with full jitter over its upper
 * half, so that clients dropped together do not come back together.
 */
export function backoff(n, first = 1000, max = 30000, random = Math.random) {
  const cap = Math.min(max, first * 2 ** Math.min(n, 30));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

/** tokenExpiry reads a JWT's exp, in ms since the epoch, or 0 when it has none readable. */
export function tokenExpiry(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const exp = JSON.parse(atob(part.padEnd(Math.ceil(part.length / 4) * 4, '='))).exp;
    return Number.isFinite(exp) ? exp * 1000 : 0;
  } catch {
    return 0;
  }
}
