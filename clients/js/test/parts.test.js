// The parts of ChatClient on their own, without a server: the ids it
// remembers per room (bounded), the socket it reads events from, and
// what follows a close.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeenIDs, MAX_SEEN } from '../src/seen.js';
import { Connection, chatURL } from '../src/connection.js';
import { Reconnection } from '../src/reconnection.js';
import { TAKEN_RETRY_MS } from '../src/protocol.js';

test('ids seen: each handed over once, the newest kept for since, and a bound', async (t) => {
  await t.test('a replayed id is not fresh; rooms differ but not by case', () => {
    const s = new SeenIDs();
    assert.equal(s.fresh('Lobby', '5-0'), true);
    assert.equal(s.fresh('lobby', '5-0'), false);
    assert.equal(s.fresh('other', '5-0'), true);
    assert.equal(s.fresh('lobby', 'not an id'), true);
    assert.equal(s.fresh('lobby', 'not an id'), true);
  });
  await t.test('last moves forward only, and not for what does not advance', () => {
    const s = new SeenIDs();
    s.startAt('lobby', '10-0');
    s.fresh('lobby', '9-5');
    assert.equal(s.last('LOBBY'), '10-0');
    s.fresh('lobby', '10-1');
    assert.equal(s.last('lobby'), '10-1');
    s.fresh('lobby', '99-0', false);
    assert.equal(s.last('lobby'), '10-1');
    assert.equal(s.last('elsewhere'), '');
  });
  await t.test('forget hands the room over again, keeping its newest', () => {
    const s = new SeenIDs();
    s.fresh('lobby', '7-0');
    s.forget('Lobby');
    assert.equal(s.fresh('lobby', '7-0'), true);
    assert.equal(s.last('lobby'), '7-0');
  });
  await t.test(`a flood of ids: only the newest ${MAX_SEEN} are remembered`, () => {
    const s = new SeenIDs();
    for (let i = 1; i <= MAX_SEEN + 10; i++) assert.equal(s.fresh('lobby', `${i}-0`), true);
    assert.equal(s.fresh('lobby', `${MAX_SEEN + 10}-0`), false, 'the newest is remembered');
    assert.equal(s.fresh('lobby', '11-0'), false, 'the oldest remembered');
    assert.equal(s.fresh('lobby', '10-0'), true, 'forgotten past the bound');
  });
});

/** fakeSocket is a WebSocket as Connection uses one: open, with what it sent and how it was closed. */
function fakeSocket() {
  return {
    readyState: 1,
    sent: [],
    closedWith: null,
    send(text) {
      this.sent.push(text);
    },
    close(code, reason) {
      this.closedWith = [code, reason];
      this.readyState = 3;
    },
    frame(data) {
      this.onmessage({ data });
    },
  };
}

/** open returns a Connection on a fake socket and what its hooks were told. */
function open(opts = {}) {
  const ws = fakeSocket();
  const got = { events: [], caughtUp: 0, closed: [], waiting: false };
  const conn = new Connection(ws, { connectTimeoutMs: 60000, answerTimeoutMs: 60000, ...opts }, {
    receive: (ev) => got.events.push(ev),
    caughtUp: () => got.caughtUp++,
    waits: () => got.waiting,
    closed: (code, reason) => got.closed.push([code, reason]),
  });
  return { ws, conn, got };
}

test('a connection hands over events, and nothing else', async (t) => {
  const hostile = [
    ['not JSON', '{"type":'],
    ['null', 'null'],
    ['a number', '42'],
    ['a list', '[{"type":"message"}]'],
    ['no type', '{"text":"hi"}'],
    ['a type that is not a string', '{"type":7}'],
    ['a binary frame', new Uint8Array([123, 125])],
  ];
  for (const [name, data] of hostile) {
    await t.test(name, () => {
      const { ws, conn, got } = open();
      ws.frame(data);
      assert.deepEqual(got.events, []);
      conn.drop();
    });
  }
  await t.test('an event, then a flood after the drop: only the event', () => {
    const { ws, conn, got } = open();
    ws.frame('{"type":"message","id":"1-0"}');
    conn.drop();
    for (let i = 0; i < 1000; i++) ws.frame(`{"type":"message","id":"${i + 2}-0"}`);
    ws.onclose({ code: 1006, reason: '' });
    assert.deepEqual(got.events.map((e) => e.id), ['1-0']);
    assert.deepEqual(got.closed, []);
    assert.equal(conn.send('x'), true, 'a dropped socket is left open');
  });
  await t.test('inbound sees each frame first; what it delivers after the drop is lost', () => {
    const held = [];
    const { ws, conn, got } = open({ inbound: (data, deliver) => held.push(() => deliver(data.replace('hi', 'HI'))) });
    ws.frame('{"type":"message","text":"hi"}');
    ws.frame('{"type":"message","text":"late"}');
    held[0]();
    conn.drop();
    held[1]();
    assert.deepEqual(got.events.map((e) => e.text), ['HI']);
  });
  await t.test('the answer to catchUp says caught up, and is not handed over; a second answer is', () => {
    const { ws, conn, got } = open();
    conn.catchUp();
    const { type, client_id: cid } = JSON.parse(ws.sent[0]);
    assert.equal(type, 'rooms');
    ws.frame(JSON.stringify({ type: 'message', client_id: cid }));
    ws.frame(JSON.stringify({ type: 'rooms', client_id: cid, rooms: [] }));
    ws.frame(JSON.stringify({ type: 'rooms', client_id: cid, rooms: [] }));
    assert.equal(got.caughtUp, 1);
    assert.deepEqual(got.events.map((e) => e.type), ['message', 'rooms']);
    conn.drop();
  });
  await t.test('a refusal of catchUp says caught up all the same', () => {
    const { ws, conn, got } = open();
    conn.catchUp();
    const { client_id: cid } = JSON.parse(ws.sent[0]);
    ws.frame(JSON.stringify({ type: 'error', code: 'slow-down', client_id: cid }));
    assert.equal(got.caughtUp, 1);
    assert.deepEqual(got.events, []);
    conn.drop();
  });
  await t.test('a socket that is not open sends nothing', () => {
    const { ws, conn } = open();
    ws.readyState = 0;
    assert.equal(conn.send('x'), false);
    assert.deepEqual(ws.sent, []);
    conn.drop();
  });
});

test('a connection that brings no welcome in time is closed, and told once', async () => {
  const ws = fakeSocket();
  const closed = [];
  await new Promise((resolve) => {
    new Connection(ws, { connectTimeoutMs: 0, answerTimeoutMs: 60000 }, {
      receive: () => {},
      caughtUp: () => {},
      waits: () => false,
      closed: (code, reason) => {
        closed.push([code, reason]);
        resolve();
      },
    });
  });
  ws.onclose({ code: 1006, reason: '' }); // the socket's own close comes after: not told again
  assert.deepEqual(closed, [[1006, '']]);
  assert.notEqual(ws.closedWith, null);
});

test('a connection silent while a request waits is given up; one with nothing waiting is not', async (t) => {
  const welcome = JSON.stringify({ type: 'welcome', room: 'lobby', name: 'bob' });
  const cases = [
    { name: 'nothing waits: kept', waiting: false, frames: [], silentMs: 100, closed: [] },
    { name: 'a request waits: given up, and told once', waiting: true, frames: [], silentMs: 60, closed: [[1006, '']] },
    { name: 'each frame from the server waits anew', waiting: true, frames: [40, 40, 40], silentMs: 40, closed: [] },
  ];
  for (const c of cases) {
    await t.test(c.name, (t) => {
      t.mock.timers.enable({ apis: ['setTimeout'] });
      const { ws, conn, got } = open({ answerTimeoutMs: 60 });
      conn.stopDeadline();
      got.waiting = c.waiting;
      conn.send('{"type":"message","text":"hi","client_id":"c1"}');
      for (const ms of c.frames) {
        t.mock.timers.tick(ms);
        ws.frame(welcome);
      }
      t.mock.timers.tick(c.silentMs);
      assert.deepEqual(got.closed, c.closed);
      assert.equal(ws.closedWith !== null, c.closed.length > 0);
      if (c.closed.length > 0) {
        ws.onclose({ code: 1006, reason: '' }); // the socket's own close comes after: not told again
        assert.deepEqual(got.closed, c.closed);
      }
      conn.drop();
    });
  }
});

test('chatURL', () => {
  const cases = [
    ['a name', 'http://h:1', { room: 'lobby', name: 'bob' }, 'ws://h:1/ws/chat?format=json&room=lobby&name=bob'],
    ['a token wins over a name', 'https://h', { room: 'a b', token: 't.k.n', name: 'bob' }, 'wss://h/ws/chat?format=json&room=a+b&token=t.k.n'],
    ['since', 'ws://h', { room: 'x', name: 'n', since: '5-1' }, 'ws://h/ws/chat?format=json&room=x&name=n&since=5-1'],
  ];
  for (const [name, server, who, want] of cases) assert.equal(chatURL(server, who), want, name);
});

test('what follows a close', async (t) => {
  const opts = { firstRetryMs: 100, maxRetryMs: 1000, random: () => 1 };
  await t.test('the wait grows with each attempt up to the most, and starts again once welcomed', () => {
    const r = new Reconnection(opts);
    const waits = [];
    for (let i = 0; i < 6; i++) {
      waits.push(r.later(() => {}).delay);
      r.stop();
    }
    assert.deepEqual(waits, [100, 200, 400, 800, 1000, 1000]);
    r.welcomed();
    assert.deepEqual(r.later(() => {}), { delay: 100, attempt: 1 });
    r.stop();
  });
  await t.test('the close reason is read into its code and words, or the close code\'s words', () => {
    const r = new Reconnection(opts);
    assert.deepEqual(r.next(1008, 'kicked: by alice', { welcomed: true, joinedOnce: true }),
      { then: 'end', most: undefined, code: 'kicked', words: 'by alice' });
    assert.deepEqual(r.next(1001, '', { welcomed: true, joinedOnce: true }),
      { then: 'again', most: undefined, code: '', words: 'the server is shutting down' });
    assert.equal(r.next(1008, 'token-expired: old', { welcomed: true, joinedOnce: true }).then, 'renew');
  });
  await t.test('a name found taken is tried again within the time the server takes to drop it', () => {
    const r = new Reconnection(opts);
    const taken = () => r.next(1008, 'name-taken: name "bob" is taken', { welcomed: false, joinedOnce: true });
    const first = taken();
    assert.equal(first.then, 'again');
    assert.ok(first.most <= TAKEN_RETRY_MS && first.most > 0);
    assert.ok(taken().most <= first.most, 'the time left does not grow');
    assert.equal(r.next(1008, 'name-taken: x', { welcomed: false, joinedOnce: false }).then, 'end', 'never welcomed: the name is someone else\'s');
  });
});
