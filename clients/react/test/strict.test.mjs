// The app in development (Vite's dev server, React's StrictMode on):
// StrictMode mounts the chat, unmounts it and mounts it again at once,
// and useChat must open one connection for it, not two, or the first
// may still hold the name when the second asks (name-taken, and the
// person is sent back to signing in). It uses /usr/bin/chromium (or
// $CHROMIUM); without it or a server binary it skips, unless CI=true.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import { chromium } from 'playwright-core';
import { Server, skipWithoutServer } from '../../js/testlib/server.js';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const WAIT = 20000; // a bound on a hang: every wait is on what the page shows

function skipWhy() {
  const why = !existsSync(CHROMIUM) ? `no Chromium at ${CHROMIUM}` : skipWithoutServer();
  if (why && process.env.CI === 'true') throw new Error(`the React app's development test cannot run: ${why}`);
  return why;
}

test('in development, a reload with a kept session opens one connection and joins', { skip: skipWhy(), timeout: 120000 }, async (t) => {
  const chat = await new Server().start(); // no -origins: any origin may connect
  t.after(() => chat.stop());
  const vite = await createServer({ root, logLevel: 'silent', server: { host: '127.0.0.1', port: 0, strictPort: false } });
  await vite.listen();
  t.after(() => vite.close());
  const app = vite.resolvedUrls.local[0];

  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  t.after(() => browser.close());
  const page = await browser.newPage();
  page.setDefaultTimeout(WAIT);
  // Counts the chat connections each load of the page opens.
  await page.addInitScript(() => {
    const Native = window.WebSocket;
    window.chatSockets = 0;
    window.WebSocket = class extends Native {
      constructor(url, protocols) {
        super(url, protocols);
        if (String(url).includes('/ws/chat')) window.chatSockets++;
      }
    };
  });
  await page.goto(`${app}?server=${encodeURIComponent(chat.url)}`);
  await page.getByLabel('Name').fill('alice');
  await page.getByRole('button', { name: 'Join' }).click();
  await page.locator('.status', { hasText: /^Connected$/ }).waitFor();

  for (let i = 0; i < 3; i++) {
    await page.reload();
    await page.locator('.status', { hasText: /^Connected$/ }).waitFor();
    assert.equal(await page.evaluate(() => window.chatSockets), 1, `reload ${i + 1}: StrictMode's second mount opened a second connection`);
  }
});
