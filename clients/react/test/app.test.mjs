// The React app, built (npm run build), in real Chromium against a real
// wschat on another origin (-origins): two people, a message, a private
// conversation, a shared picture, a restart of the server with -data
// while a message waits, and another room with its unread count; then
// two nodes on one Redis, with the network to one cut mid-conversation
// and the other node restarted. It uses /usr/bin/chromium (or $CHROMIUM), never a downloaded browser;
// without it, a server binary or redis-server, it skips, unless CI=true.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, dirname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { Server, skipWithoutServer, startRedis, tempDir } from '../../js/testlib/server.js';
import { Proxy } from '../../js/testlib/proxy.js';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const WAIT = 20000; // a bound on a hang: every wait is on what the page shows

function skipWhy() {
  const why = !existsSync(CHROMIUM) ? `no Chromium at ${CHROMIUM}` : !existsSync(join(dist, 'index.html')) ? 'not built: npm run build' : skipWithoutServer();
  if (why && process.env.CI === 'true') throw new Error(`the React app's browser test cannot run: ${why}`);
  return why;
}

/** serveDist serves the built app on a loopback port of its own: another origin than the chat's. */
async function serveDist(t) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  const srv = createServer((req, res) => {
    const path = normalize(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '') || 'index.html';
    const file = join(dist, path);
    if (!file.startsWith(dist) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  t.after(() => srv.close());
  return `127.0.0.1:${srv.address().port}`;
}

/** A 2×2 PNG, to share. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==', 'base64');

/** launch starts Chromium for the test t, and closes it when t ends. */
async function launch(t) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-quic'],
  });
  t.after(() => browser.close());
  return browser;
}

/** person opens the app served from origin in a browser context of its own, against the chat at server, and joins as name. */
async function person(browser, server, origin, name) {
  const page = await (await browser.newContext()).newPage();
  page.setDefaultTimeout(WAIT);
  await page.goto(`http://${origin}/?server=${encodeURIComponent(server)}`);
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Join' }).click();
  await page.locator('.status', { hasText: /^Connected$/ }).waitFor();
  return page;
}

/** says is the line of page's log that holds text. */
const says = (page, text) => page.locator('.log li', { hasText: text });

/** send types text on page and sends it. */
async function send(page, text) {
  await page.getByRole('textbox', { name: 'message', exact: true }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

test('the React app: two people, rooms, a private conversation, a file, a restart', { skip: skipWhy(), timeout: 180000 }, async (t) => {
  const origin = await serveDist(t);
  const chat = await new Server(['-data', tempDir(), '-origins', origin]).start();
  t.after(() => chat.stop());
  const browser = await launch(t);


  const alice = await person(browser, chat.url, origin, 'alice');
  const bob = await person(browser, chat.url, origin, 'bob');
  await send(alice, 'hello bob');
  await says(bob, 'hello bob').waitFor();

  // A private conversation: alice opens it from the people list.
  await alice.locator('.people').getByRole('button', { name: 'bob' }).click();
  await send(alice, 'just between us');
  await says(alice, 'just between us').locator('[data-pending]').waitFor({ state: 'detached' }).catch(() => {});
  await bob.locator('.privates li', { hasText: 'alice' }).locator('.badge', { hasText: '1' }).waitFor();
  await bob.locator('.privates').getByRole('button', { name: 'alice' }).click();
  await says(bob, 'just between us').waitFor();
  assert.equal(await says(bob, 'hello bob').count(), 0, 'the room\u2019s message shows in the private conversation');

  // A picture shared in the room shows to bob as a preview.
  await alice.locator('.rooms').getByRole('button', { name: 'lobby' }).click();
  await bob.locator('.rooms').getByRole('button', { name: 'lobby' }).click();
  await alice.locator('input[type=file]').setInputFiles({ name: 'dot.png', mimeType: 'image/png', buffer: PNG });
  const preview = bob.locator('.log img[alt="dot.png"]');
  await preview.waitFor();
  await bob.waitForFunction((img) => img.complete && img.naturalWidth === 2, await preview.elementHandle());

  // The server restarts (-data): both see the connection lost; what alice
  // sends meanwhile reaches bob once, after they are back.
  await chat.stop();
  await alice.locator('.status', { hasText: 'reconnecting' }).waitFor();
  await bob.locator('.status', { hasText: 'reconnecting' }).waitFor();
  await send(alice, 'sent while the server was down');
  await says(alice, 'sent while the server was down').locator('.state', { hasText: 'sending' }).waitFor();
  await chat.start();
  await alice.locator('.status', { hasText: /^Connected$/ }).waitFor();
  await bob.locator('.status', { hasText: /^Connected$/ }).waitFor();
  await says(bob, 'sent while the server was down').waitFor();
  await send(bob, 'welcome back');
  await says(alice, 'welcome back').waitFor();
  assert.equal(await says(bob, 'sent while the server was down').count(), 1);
  assert.equal(await says(bob, 'hello bob').count(), 1, 'the replay after the restart doubled a message');

  // bob moves to another room; what alice says in the lobby shows as unread there.
  await bob.getByLabel('new room').fill('go');
  await bob.getByLabel('new room').press('Enter');
  await bob.locator('main h1', { hasText: 'go' }).waitFor();
  await send(alice, 'are you there?');
  await bob.locator('.rooms li', { hasText: 'lobby' }).locator('.badge').waitFor();
  await bob.locator('.rooms').getByRole('button', { name: 'lobby' }).click();
  await says(bob, 'are you there?').waitFor();
});

test('the React app on two nodes with Redis: the network cut, and a node restarted, mid-conversation', { skip: skipWhy(), timeout: 180000 }, async (t) => {
  const redis = await startRedis(t);
  if (!redis) return t.skip('no redis-server');
  const origin = await serveDist(t);
  const node = () => new Server(['-redis', redis, '-origins', origin]);
  const a = await node().start();
  const b = await node().start();
  t.after(() => Promise.all([a.stop(), b.stop()]));
  const toB = await new Proxy(b.port).listen();
  t.after(() => toB.close());
  const browser = await launch(t);
  const [alice, bob] = [await person(browser, a.url, origin, 'alice'), await person(browser, toB.url, origin, 'bob')];

  await send(alice, 'hello from node a');
  await says(bob, 'hello from node a').waitFor();

  // The network between bob and node b fails: first nothing reaches him
  // (his message goes up, its acknowledgement is lost), then the
  // connection is cut without a close. He reconnects, recovers what he
  // missed, and sends his message again, which the server takes once.
  toB.hold();
  await send(alice, 'while bob hears nothing');
  await send(bob, 'bob, with his ack lost');
  await says(alice, 'bob, with his ack lost').waitFor();
  await says(bob, 'bob, with his ack lost').locator('.state', { hasText: 'sending' }).waitFor();
  toB.cut();
  await says(bob, 'while bob hears nothing').waitFor();
  await says(bob, 'bob, with his ack lost').locator('.state', { hasText: 'sending' }).waitFor({ state: 'detached' });
  await send(bob, 'after the cut');
  await says(alice, 'after the cut').waitFor();
  assert.equal(await says(alice, 'bob, with his ack lost').count(), 1, 'the message sent again reached alice twice');
  assert.equal(await says(bob, 'while bob hears nothing').count(), 1, 'the recovered message shows twice');

  // alice's node restarts; what bob says meanwhile reaches her once.
  await a.stop();
  await alice.locator('.status', { hasText: 'reconnecting' }).waitFor();
  await send(bob, 'while node a was away');
  await a.start();
  await alice.locator('.status', { hasText: /^Connected$/ }).waitFor();
  await says(alice, 'while node a was away').waitFor();
  await send(alice, 'back on node a');
  await says(bob, 'back on node a').waitFor();
  assert.equal(await says(alice, 'while node a was away').count(), 1);
  assert.equal(await says(alice, 'hello from node a').count(), 1, 'the replay after the restart doubled a message');
});
