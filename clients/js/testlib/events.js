// Waiting on a ChatClient's events, for the tests: every wait is on an
// event, never on the clock.

import { createHmac } from 'node:crypto';
import { ChatClient } from '../src/index.js';

/** client makes a ChatClient for t, closed when the test ends. */
export function client(t, opts) {
  // connectTimeoutMs: Node 20's WebSocket never reports a connection
  // whose server went away during the handshake; the client gives it up.
  const c = new ChatClient({ firstRetryMs: 50, maxRetryMs: 400, connectTimeoutMs: 2000, ...opts });
  t.after(() => c.close());
  return c;
}

/** next resolves with the next event of type on c that pred accepts. */
export function next(c, type, pred = () => true) {
  return new Promise((resolve) => {
    const off = c.on(type, (ev) => {
      if (pred(ev)) {
        off();
        resolve(ev);
      }
    });
  });
}

/** collect keeps the texts of the messages c is handed, in order. */
export function collect(c, type = 'message') {
  const got = [];
  c.on(type, (ev) => got.push(ev.text));
  return got;
}

/** online connects c and resolves once it has caught up. */
export async function online(c) {
  const caught = next(c, 'caughtup');
  c.connect();
  await caught;
  return c;
}

/** until resolves once cond() holds, checked after each event of type on c. */
export function until(c, type, cond) {
  return cond() ? Promise.resolve() : next(c, type, () => cond());
}

/** hs256 signs claims with key, as -jwt-key checks. */
export function hs256(key, claims) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}
