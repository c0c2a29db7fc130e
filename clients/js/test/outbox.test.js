// The outbox's store, without a server: what it loads is checked and
// bounded, and a store that fails costs nothing but persistence.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Outbox, MAX_OUTBOX } from '../src/outbox.js';

const req = (i, extra = {}) => ({ request: { type: 'message', text: `m${i}`, client_id: `c${i}`, ...extra } });

test('what a store loads', async (t) => {
  const cases = [
    ['nothing', () => null, []],
    ['not a list', () => ({ request: req(1).request }), []],
    ['a load that throws', () => { throw new Error('storage off'); }, []],
    ['good entries, in order', () => [req(1), req(2)], ['c1', 'c2']],
    ['a repeated client_id, kept once', () => [req(1), req(1), req(2)], ['c1', 'c2']],
    ['no client_id, an empty one, an unknown type, no request', () => [
      { request: { type: 'message', text: 'x' } },
      req(3, { client_id: '' }),
      req(4, { type: 'history' }),
      { tag: 'x' },
      null,
      'text',
      req(5),
    ], ['c5']],
    ['too many: the oldest are kept', () => Array.from({ length: MAX_OUTBOX + 50 }, (_, i) => req(i)), Array.from({ length: MAX_OUTBOX }, (_, i) => `c${i}`)],
  ];
  for (const [name, load, want] of cases) {
    await t.test(name, () => {
      const o = new Outbox({ load, save: () => {} });
      assert.deepEqual(o.items.map((x) => x.request.client_id), want);
      assert.ok(o.items.every((x) => x.sent === false));
    });
  }
});

test('a store that cannot save: the outbox still works', () => {
  const o = new Outbox({ load: () => [], save: () => { throw new Error('quota'); } });
  o.add({ type: 'message', text: 'x', client_id: 'a' }, 'tag', () => {}, () => {});
  assert.equal(o.length, 1);
  assert.equal(o.take('a').tag, 'tag');
  assert.equal(o.take('a'), null);
});

test('the store is told of each change, with tags', () => {
  const saved = [];
  const o = new Outbox({ load: () => [], save: (e) => saved.push(e) });
  o.add({ type: 'message', text: 'x', client_id: 'a' }, { view: 'v' }, () => {}, () => {});
  o.add({ type: 'react', id: '1-0', emoji: '👍', client_id: 'b' }, undefined, () => {}, () => {});
  o.take('a');
  assert.deepEqual(saved, [
    [{ request: { type: 'message', text: 'x', client_id: 'a' }, tag: { view: 'v' } }],
    [{ request: { type: 'message', text: 'x', client_id: 'a' }, tag: { view: 'v' } }, { request: { type: 'react', id: '1-0', emoji: '👍', client_id: 'b' } }],
    [{ request: { type: 'react', id: '1-0', emoji: '👍', client_id: 'b' } }],
  ]);
});
