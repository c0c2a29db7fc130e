// What a client does after a close, without a server: every close the
// server sends, and reasons that only look like one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterClose, TAKEN_RETRY_MS } from '../src/protocol.js';

const IN = { welcomed: true, joinedOnce: true }; // a connection that was in the chat
const FIRST = { welcomed: false, joinedOnce: false }; // the first try
const BACK = { welcomed: false, joinedOnce: true }; // a reconnection

test('after a close', async (t) => {
  const cases = [
    ['the network dropped', 1006, '', IN, { then: 'again' }],
    ['the server shut down', 1001, '', IN, { then: 'again' }],
    ['the server is not there yet', 1006, '', FIRST, { then: 'again' }],
    ['too slow, no code', 1008, 'too slow', IN, { then: 'again' }],
    ['too fast, while in', 1008, 'too-fast: slow down', IN, { then: 'again' }],
    ['kicked', 1008, 'kicked: you were kicked from den by alice: flooding', IN, { then: 'end' }],
    ['banned while in', 1008, 'banned: you are banned from den by alice until the ban is lifted: spam', IN, { then: 'end' }],
    ['banned at a reconnection', 1008, 'banned: you are banned from den by alice', BACK, { then: 'end' }],
    ['not invited', 1008, 'invite-only: den is invite-only', FIRST, { then: 'end' }],
    ['the token ran out', 1008, 'token-expired: the token ran out', IN, { then: 'renew' }],
    ['no token', 1008, 'auth-required: a token is needed', FIRST, { then: 'renew' }],
    ['a bad name', 1008, 'bad-name: name is required', FIRST, { then: 'end' }],
    ['a bad since at a reconnection', 1008, 'bad-request: since must be the id of a message', BACK, { then: 'end' }],
    ['the name taken at the first try', 1008, 'name-taken: name "bob" is taken', FIRST, { then: 'end' }],
    ['the name taken at a reconnection', 1008, 'name-taken: name "bob" is taken', BACK, { then: 'again', most: TAKEN_RETRY_MS, taken: true }],
    ['still taken a second before the end', 1008, 'name-taken: x', { ...BACK, takenFor: TAKEN_RETRY_MS - 1000 }, { then: 'again', most: 1000, taken: true }],
    ['still taken when the time is up', 1008, 'name-taken: x', { ...BACK, takenFor: TAKEN_RETRY_MS }, { then: 'end' }],
    ['a code in a normal close is not a refusal', 1000, 'kicked: no', IN, { then: 'again' }],
    ['a code in capitals is none', 1008, 'KICKED: you were kicked', IN, { then: 'again' }],
    ['a code without its colon is none', 1008, 'kicked', IN, { then: 'again' }],
    ['a code without words after the colon is none', 1008, 'kicked:', IN, { then: 'again' }],
    ['a code of digits is none', 1008, '1008: no', IN, { then: 'again' }],
    ['no reason at all', 1008, undefined, IN, { then: 'again' }],
    ['a long reason', 1008, `kicked: ${'x'.repeat(10000)}`, IN, { then: 'end' }],
    ['an unknown code, while in', 1008, 'something-new: words', IN, { then: 'again' }],
    ['an unknown code, at a reconnection', 1008, 'something-new: words', BACK, { then: 'end' }],
  ];
  for (const [name, close, reason, state, want] of cases) {
    await t.test(name, () => assert.deepEqual(afterClose(close, reason, state), want));
  }
});
