// A network that goes silent without closing (a dropped Wi-Fi, a frozen
// server): the client notices when a request goes unanswered, gives the
// connection up and sends the request again on a new one, where the
// server takes it once. Node's WebSocket: see client.test.js.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, skipWithoutServer } from '../testlib/server.js';
import { Proxy } from '../testlib/proxy.js';
import { client, collect, online, until } from '../testlib/events.js';

const LONG = { skip: skipWithoutServer(), timeout: 60000 }; // a bound on a hang: the test waits on events

test('a connection that answers nothing while a message waits is given up, and the message goes once', LONG, async (t) => {
  const srv = await startServer(t);
  const proxy = await new Proxy(srv.port).listen();
  t.after(() => proxy.close());
  const alice = await online(client(t, { server: proxy.url, name: 'alice', answerTimeoutMs: 1000 }));
  const bob = await online(client(t, { server: srv.url, name: 'bob' }));
  const atBob = collect(bob);
  const atAlice = collect(alice);

  proxy.hold(); // the server takes what alice sends; nothing reaches her, and nothing closes
  const sent = alice.send('into the silence');
  await until(bob, 'message', () => atBob.length === 1);
  await until(alice, 'state', () => alice.state === 'reconnecting');
  assert.equal(alice.waiting().length, 1, 'the unanswered message left the outbox');

  proxy.cut(); // the network is back (the attempts made meanwhile are reset)
  const ack = await sent;
  assert.match(ack.id, /^\d+-\d+$/);
  await bob.send('end');
  await until(bob, 'message', () => atBob.at(-1) === 'end');
  await until(alice, 'message', () => atAlice.at(-1) === 'end');
  assert.deepEqual(atBob, ['into the silence', 'end']);
  assert.deepEqual(atAlice, ['into the silence', 'end']);
});
