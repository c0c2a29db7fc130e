// What outlasts a connection, against a real wschat binary: an outbox
// kept in a store goes once from the next client (a reloaded page), a
// reconnection says when it is due and can be hurried, and a kick or a
// ban ends the client instead of bringing it back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatError } from '../src/index.js';
import { startServer, skipWithoutServer, secretFile } from '../testlib/server.js';
import { Proxy } from '../testlib/proxy.js';
import { client, next, collect, online, until, hs256 } from '../testlib/events.js';

const skip = skipWithoutServer();
const LONG = { skip, timeout: 60000 }; // a bound on a hang, not a wait: every test waits on events

/** memoryStore is an outbox store as a page keeps one: JSON text. */
function memoryStore(text = '[]') {
  const s = {
    text,
    load: () => JSON.parse(s.text),
    save: (entries) => {
      s.text = JSON.stringify(entries);
    },
  };
  return s;
}

/** tokens starts a server with -jwt-key (and args) and returns it with a maker of an hour's token for a name. */
async function tokens(t, args = []) {
  const { path, key } = secretFile();
  const srv = await startServer(t, ['-jwt-key', path, ...args]);
  return { srv, token: (sub) => hs256(key, { sub, exp: Math.floor(Date.now() / 1000) + 3600 }) };
}

/** raw connects a bare WebSocket to room with token and resolves with it once welcomed. */
async function raw(t, srv, token, room) {
  const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/ws/chat?${new URLSearchParams({ format: 'json', room, token })}`);
  t.after(() => ws.close());
  await new Promise((resolve, reject) => {
    ws.onmessage = (e) => JSON.parse(e.data).type === 'welcome' && resolve();
    ws.onclose = (e) => reject(new Error(`closed ${e.code} ${e.reason}`));
  });
  return ws;
}

test('the outbox kept in a store goes once from the next client, even what the server took unanswered', LONG, async (t) => {
  const { srv, token } = await tokens(t);
  const proxy = await new Proxy(srv.port).listen();
  t.after(() => proxy.close());
  const bob = await online(client(t, { server: srv.url, token: token('bob') }));
  const got = collect(bob);
  const privates = collect(bob, 'private');
  const store = memoryStore();
  const first = await online(client(t, { server: proxy.url, token: token('alice'), outbox: store }));
  const answered = [];
  const off = first.on('settled', (s) => answered.push(s));

  proxy.hold(); // the server takes what alice sends; its answers are lost
  first.send('taken, unanswered', { tag: { view: 'room:lobby' } }).catch(() => {});
  first.sendPrivate('bob', 'private, unanswered').catch(() => {});
  await until(bob, 'message', () => got.length === 1);
  await until(bob, 'private', () => privates.length === 1);
  const down = next(first, 'state', (s) => s.state === 'reconnecting');
  proxy.cut();
  await down;
  first.sendPrivate('bob', 'written while down', { tag: 'private:bob' }).catch(() => {});
  const kept = store.text; // the page goes away here, its storage as it was
  off();
  first.close();
  assert.deepEqual(answered, [], 'nothing was answered to the first client');

  const reloaded = memoryStore(kept);
  const second = client(t, { server: srv.url, token: token('alice'), outbox: reloaded });
  assert.deepEqual(second.waiting().map((w) => [w.request.text, w.tag]), [
    ['taken, unanswered', { view: 'room:lobby' }],
    ['private, unanswered', undefined],
    ['written while down', 'private:bob'],
  ]);
  const settled = [];
  second.on('settled', (s) => settled.push(s));
  await online(second);
  await until(second, 'settled', () => settled.length === 3);
  // What the server took is settled by the replay, or by the server's
  // answer that it had it: either way it is not carried out twice.
  assert.deepEqual(settled.map((s) => [s.request.text, s.tag, s.error]), [
    ['taken, unanswered', { view: 'room:lobby' }, undefined],
    ['private, unanswered', undefined, undefined],
    ['written while down', 'private:bob', undefined],
  ]);
  assert.match(settled[0].ack.id, /^\d+-\d+$/);
  assert.equal(reloaded.text, '[]');
  await second.send('end');
  await until(bob, 'message', () => got.at(-1) === 'end');
  assert.deepEqual(got, ['taken, unanswered', 'end']);
  assert.deepEqual(privates, ['private, unanswered', 'written while down']);
});

test('a reconnection says when it is due and why, and retryNow does not wait for it', LONG, async (t) => {
  const srv = await startServer(t);
  const alice = await online(client(t, { server: srv.url, name: 'alice', firstRetryMs: 600000, maxRetryMs: 600000 }));
  assert.equal(alice.retryNow(), true, 'caught up: what waits goes now');
  const waiting = next(alice, 'state', (s) => s.state === 'reconnecting');
  const before = Date.now();
  await srv.stop();
  const s = await waiting;
  assert.ok(s.delay >= 300000 && s.delay <= 600000, `delay ${s.delay}`);
  assert.ok(s.at >= before + s.delay && s.at <= Date.now() + s.delay, 'at is when it is due');
  assert.equal(s.attempt, 1);
  assert.ok(s.close > 1000, `close ${s.close}`);
  await srv.start();
  const back = next(alice, 'caughtup');
  assert.equal(alice.retryNow(), true);
  await back; // minutes before the backoff would have come back
  await alice.send('back');
});

for (const [what, command, code, words] of [
  ['a kick', '/kick bob flooding', 'kicked', /^you were kicked from den by alice: flooding$/],
  ['a ban', '/ban bob 1h spam', 'banned', /^you are banned from den by alice until .*: spam$/],
]) {
  test(`after ${what} the client stays away, and the app has the code and the words`, LONG, async (t) => {
    // Node 20's WebSocket inflates a compressed frame asynchronously: when
    // the server ends the connection right after the moderation event and
    // the close, it reports 1006 and loses both (browsers do not), and the
    // client would reconnect. Without compression it reads them.
    const { srv, token } = await tokens(t, ['-compress=false']);
    // With tokens, whoever opens a room owns it: alice, welcomed in den first.
    const alice = await raw(t, srv, token('alice'), 'den');
    const bob = await online(client(t, { server: srv.url, token: token('bob'), room: 'den' }));
    const states = [];
    bob.on('state', (s) => states.push(s.state));
    const told = next(bob, 'moderation');
    const closed = next(bob, 'state', (s) => s.state === 'closed');
    alice.send(command);
    const s = await closed;
    assert.equal((await told).to, 'bob');
    assert.deepEqual([s.code, s.close], [code, 1008]);
    assert.match(s.text, words);
    assert.deepEqual(states, ['closed'], 'no reconnection');
    await assert.rejects(bob.send('still here?'), (e) => e.code === code);
    assert.equal(bob.retryNow(), false);
  });
}

test('a move back to a room hands its replay over in full; command sends what the library has no method for', LONG, async (t) => {
  const srv = await startServer(t);
  const alice = await online(client(t, { server: srv.url, name: 'alice' }));
  await alice.send('before the move');
  await alice.join('go');
  const replayed = next(alice, 'message', (m) => m.text === 'before the move');
  const moved = next(alice, 'welcome');
  assert.equal(alice.command('/join lobby'), true);
  assert.equal((await moved).moved, true);
  assert.equal((await replayed).history, true);
  await assert.rejects(alice.request({ type: 'history' }), (e) => e.code === 'usage');
  const ack = await alice.request({ type: 'message', text: 'as given' }, { tag: 'x' });
  assert.match(ack.id, /^\d+-\d+$/);
});

test('inbound and outbound see each frame and each request in order: one changed, one held until retryNow, one refused', LONG, async (t) => {
  const srv = await startServer(t);
  let holding = true;
  const turn = () => new Promise((resolve) => setImmediate(resolve)); // asynchronous, as sealing and opening are
  const alice = await online(client(t, {
    server: srv.url,
    name: 'alice',
    outbound: async (r) => {
      await turn();
      if (r.text === 'refuse me') throw new ChatError('not-encrypted', 'no key for it');
      if (r.text === 'hold me' && holding) return null;
      return { ...r, text: r.text.toUpperCase() };
    },
  }));
  let opening = Promise.resolve();
  const bob = await online(client(t, {
    server: srv.url,
    name: 'bob',
    inbound: (data, deliver) => {
      opening = opening.then(turn).then(() => deliver(data.replace('"text":"', '"text":"opened ')));
    },
  }));
  const got = collect(bob);
  const held = alice.send('hold me');
  const refused = assert.rejects(alice.send('refuse me'), (e) => e.code === 'not-encrypted' && e.message === 'no key for it');
  await alice.send('one');
  await refused;
  await until(bob, 'message', () => got.length === 1);
  assert.deepEqual(alice.waiting().map((w) => [w.request.text, w.sent]), [['hold me', false]]);
  holding = false;
  assert.equal(alice.retryNow(), true);
  await held;
  await until(bob, 'message', () => got.length === 2);
  assert.deepEqual(got, ['opened ONE', 'opened HOLD ME']);
});
