// The client against a real wschat binary (testlib/server.js): sending
// and receiving, reconnection and recovery across a restart with -data,
// exactly-once delivery of what was sent while the connection was down
// or cut, token renewal, and refusals as codes. Run with Node's
// WebSocket: node --experimental-websocket --test (Node 20), or node
// --test (Node 22 on).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatError, register, serverConfig } from '../src/index.js';
import { startServer, startRedis, skipWithoutServer, tempDir, secretFile } from '../testlib/server.js';
import { Proxy } from '../testlib/proxy.js';
import { client, next, collect, online, until, hs256 } from '../testlib/events.js';

const skip = skipWithoutServer();
const LONG = { skip, timeout: 60000 }; // a bound on a hang, not a wait: every test waits on events

test('messages reach everyone once, each acknowledged', LONG, async (t) => {
  const srv = await startServer(t);
  const alice = await online(client(t, { server: srv.url, name: 'alice' }));
  const bob = await online(client(t, { server: srv.url, name: 'bob' }));
  const got = collect(bob);
  const acks = await Promise.all(['one', 'two', 'three'].map((text) => alice.send(text)));
  for (const a of acks) assert.match(a.id, /^\d+-\d+$/);
  await until(bob, 'message', () => got.length >= 3);
  assert.deepEqual(got, ['one', 'two', 'three']);
  assert.equal(bob.lastID(), acks[2].id);
});

test('across a restart with -data: reconnects, recovers with since, and what was sent meanwhile arrives once', LONG, async (t) => {
  const srv = await startServer(t, ['-data', tempDir()]);
  const alice = await online(client(t, { server: srv.url, name: 'alice' }));
  const bob = await online(client(t, { server: srv.url, name: 'bob' }));
  const got = collect(bob);
  const gaps = [];
  bob.on('gap', (g) => gaps.push(g));
  await alice.send('before');
  await until(bob, 'message', () => got.length === 1);

  await srv.stop();
  await until(alice, 'state', () => alice.state === 'reconnecting');
  const sent = ['while', 'the', 'server', 'was', 'down'].map((text) => alice.send(text));
  const back = Promise.all([next(alice, 'caughtup'), next(bob, 'caughtup')]);
  await srv.start();
  await back;
  await Promise.all(sent);
  await bob.send('end');
  await until(bob, 'message', () => got.at(-1) === 'end');
  assert.deepEqual(got, ['before', 'while', 'the', 'server', 'was', 'down', 'end']);
  assert.deepEqual(gaps, [], 'a restart with -data loses nothing');
});

test('a message whose ack the cut network lost is not sent twice; a private one is taken once', LONG, async (t) => {
  const srv = await startServer(t);
  const proxy = await new Proxy(srv.port).listen();
  t.after(() => proxy.close());
  const alice = await online(client(t, { server: proxy.url, name: 'alice' }));
  const bob = await online(client(t, { server: srv.url, name: 'bob' }));
  const messages = collect(bob);
  const privates = collect(bob, 'private');

  proxy.hold(); // what the server sends alice is lost from here on
  const room = alice.send('in the room');
  const priv = alice.sendPrivate('bob', 'just for you');
  await until(bob, 'private', () => privates.length === 1);
  await until(bob, 'message', () => messages.length === 1);
  proxy.cut();
  const [r, p] = await Promise.all([room, priv]);
  assert.match(r.id, /^\d+-\d+$/);
  assert.ok(p.repeat, 'the private message, kept nowhere, was sent again and taken as a repeat');
  await bob.send('end');
  await until(bob, 'message', () => messages.at(-1) === 'end');
  assert.deepEqual(messages, ['in the room', 'end']);
  assert.deepEqual(privates, ['just for you']);
});

test('refusals are codes', LONG, async (t) => {
  const srv = await startServer(t);
  const alice = await online(client(t, { server: srv.url, name: 'alice' }));
  const bob = await online(client(t, { server: srv.url, name: 'bob' }));
  const { id } = await alice.send('mine');
  const cases = [
    ['an edit of another\u2019s message', () => bob.edit(id, 'yours now'), 'not-yours'],
    ['a word for an emoji', () => bob.react(id, 'lol'), 'bad-emoji'],
    ['a reply to nothing', () => bob.send('hm', { replyTo: '1-0' }), 'no-such-message'],
    ['a page of 1000', () => bob.history({ limit: 1000 }), 'usage'],
    ['a move to the same room', () => bob.join('lobby'), 'same-room'],
  ];
  for (const [name, call, code] of cases) {
    await assert.rejects(call(), (e) => e instanceof ChatError && e.code === code, name);
  }
  const taken = client(t, { server: srv.url, name: 'ALICE' });
  const closed = next(taken, 'state', (s) => s.state === 'closed');
  taken.connect();
  assert.equal((await closed).code, 'name-taken');
  const bad = client(t, { server: srv.url, name: 'no spaces' });
  const closedToo = next(bad, 'state', (s) => s.state === 'closed');
  bad.connect();
  assert.equal((await closedToo).code, 'bad-name');
});

test('moving rooms, history and search', LONG, async (t) => {
  const srv = await startServer(t);
  const alice = await online(client(t, { server: srv.url, name: 'alice' }));
  for (const text of ['a gopher', 'b', 'c']) await alice.send(text);
  const page = await alice.history({ limit: 2 });
  assert.deepEqual(page.messages.map((m) => m.text), ['b', 'c']);
  const found = await alice.search('GOPHER');
  assert.deepEqual(found.messages.map((m) => m.text), ['a gopher']);
  const w = await alice.join('Go');
  assert.equal(w.room, 'Go');
  assert.equal(alice.room, 'Go');
  await alice.send('in go');
  const rooms = await alice.rooms();
  assert.deepEqual(rooms.rooms.map((r) => r.name).sort(), ['Go']);
});

test('a token is renewed before it runs out, and the connection outlives it', LONG, async (t) => {
  const { path, key } = secretFile();
  const srv = await startServer(t, ['-jwt-key', path]);
  const token = (secs) => hs256(key, { sub: 'alice', exp: Math.floor(Date.now() / 1000) + secs });
  const first = token(4);
  const alice = client(t, { server: srv.url, token: first, renewToken: async () => token(3600) });
  const renewed = next(alice, 'renewed');
  await online(alice);
  assert.equal(alice.name, 'alice');
  await renewed;
  assert.notEqual(alice.token, first);
  // Past the first token's expiry the connection is still the same one.
  const states = [];
  alice.on('state', (s) => states.push(s.state));
  const expiry = JSON.parse(Buffer.from(first.split('.')[1], 'base64url')).exp * 1000;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiry - Date.now()) + 500));
  await alice.send('still here');
  assert.deepEqual(states, []);
});

test('a token that runs out without renewal closes the client with token-expired', LONG, async (t) => {
  const { path, key } = secretFile();
  const srv = await startServer(t, ['-jwt-key', path]);
  const alice = client(t, { server: srv.url, token: hs256(key, { sub: 'alice', exp: Math.floor(Date.now() / 1000) + 2 }) });
  const closed = next(alice, 'state', (s) => s.state === 'closed');
  alice.connect();
  assert.equal((await closed).code, 'token-expired');
  await assert.rejects(alice.send('too late'), (e) => e instanceof ChatError && e.code === 'token-expired');
});

test('accounts: register, then files with progress, and a cancelled upload', LONG, async (t) => {
  const srv = await startServer(t, ['-accounts', '-data', tempDir()]);
  assert.equal((await serverConfig(srv.url)).auth, 'accounts');
  const { token } = await register(srv.url, 'carol', 'a long enough password');
  const carol = await online(client(t, { server: srv.url, token }));
  const files = collect(carol, 'file');
  const progress = [];
  const body = new Blob(['hello, file']);
  const info = await carol.uploadFile(body, { name: 'hello.txt', onProgress: (sent, total) => progress.push([sent, total]) });
  assert.equal(info.name, 'hello.txt');
  assert.equal(await (await fetch(info.url)).text(), 'hello, file');
  assert.deepEqual(progress.at(-1), [body.size, body.size]);
  await until(carol, 'file', () => files.length === 1);
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(carol.uploadFile(body, { name: 'x.txt', signal: ac.signal }), (e) => e.code === 'aborted');
  await assert.rejects(register(srv.url, 'carol', 'another password'), (e) => e.code === 'name-taken' && e.status === 409);
});

test('two nodes sharing Redis: a node restarts and the network is cut mid-conversation; nothing is lost or doubled', LONG, async (t) => {
  const redis = await startRedis(t);
  if (!redis) {
    t.skip('no redis-server');
    return;
  }
  const a = await startServer(t, ['-redis', redis]);
  const b = await startServer(t, ['-redis', redis]);
  const proxy = await new Proxy(a.port).listen();
  t.after(() => proxy.close());
  const alice = await online(client(t, { server: proxy.url, name: 'alice' }));
  const bob = await online(client(t, { server: b.url, name: 'bob' }));
  const atBob = collect(bob);
  const atAlice = collect(alice);
  const privates = collect(bob, 'private');
  const gaps = [];
  alice.on('gap', (g) => gaps.push(g));

  await alice.send('one');
  await until(bob, 'message', () => atBob.length === 1);

  // The network is cut while alice's next messages and their acks are on their way.
  proxy.hold();
  const cut = [alice.send('two'), alice.sendPrivate('bob', 'psst')];
  await until(bob, 'private', () => privates.length === 1);
  await until(bob, 'message', () => atBob.length === 2);
  proxy.cut();
  await Promise.all(cut);

  // Alice's node restarts while she sends; bob, on the other node, talks on.
  await a.stop();
  await until(alice, 'state', () => alice.state === 'reconnecting');
  const down = alice.send('three');
  await bob.send('bob while a is down');
  const back = next(alice, 'caughtup');
  await a.start();
  await back;
  await down;
  await bob.send('end');
  await until(bob, 'message', () => atBob.at(-1) === 'end');
  await until(alice, 'message', () => atAlice.at(-1) === 'end');
  assert.deepEqual(atBob, ['one', 'two', 'bob while a is down', 'three', 'end']);
  assert.deepEqual(atAlice, ['one', 'two', 'bob while a is down', 'three', 'end']);
  assert.deepEqual(privates, ['psst']);
  assert.deepEqual(gaps, []);
});
