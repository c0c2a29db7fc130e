// End-to-end test of what the page shows beyond chatting, run by
// TestBrowserPage in browser_test.go, which serves the chat at WSCHAT_URL
// with twelve people already in the lobby. At a desktop size and at a
// phone's (390×844): every one of the thirteen names can be reached; a
// message over the server's limit is not sent, the page says by how much
// it is over, and the text stays in the box; one just within the limit
// goes, and one the server refuses all the same (1009) comes back into
// the box. Then, with both sizes open, the server stops (STOP, answered
// STOPPED): the list of people and the rooms say they are offline instead
// of showing everyone as online, and what is typed meanwhile stays; the
// server starts again (START, STARTED) and it is sent. A message whose
// answer was lost is still on its way after a reload, and is shown once.
// Last, the README's console snippet is tried on the page's own origin
// and elsewhere.
// It exits 0 after printing PASS, 1 with the reason on stderr otherwise.
//
// Environment: WSCHAT_URL (required), PEOPLE (how many the Go test put in
// the lobby), CHROMIUM (default /usr/bin/chromium), OUT_DIR for
// screenshots (default ../test-output).

import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OUT, WAIT, ask, check, run, shot } from './lib.mjs';

const BASE = process.env.WSCHAT_URL;
const PEOPLE = Number(process.env.PEOPLE);
const SIZES = [
  { label: 'desktop', size: { width: 1280, height: 800 } },
  { label: 'phone', size: { width: 390, height: 844 } },
];
const LIMIT = 65536; // the server's -max-message in the Go test
const MAX_RETRY = 30_000; // the page's longest wait between reconnections (the client library's maxRetryMs)
// A connection lost while the server stops is reported by Chromium.
const EXPECTED_ERROR = /^WebSocket connection to 'ws:\/\/[^']+\/ws\/chat\?[^']*' failed/;


/** waitText waits until the element sel's text contains want. */
async function waitText(page, sel, want) {
  await page.waitForFunction(([s, w]) => document.querySelector(s)?.textContent.includes(w), [sel, want], { timeout: WAIT });
}

/** open joins as name in a new tab of the given size. */
async function open(ctx, size, name, problems) {
  const page = await ctx.newPage();
  await page.setViewportSize(size);
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !EXPECTED_ERROR.test(msg.text())) problems.push(`${name}: console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`${name}: page error: ${err.message}`));
  await page.goto(BASE);
  await page.fill('#name', name);
  await page.press('#name', 'Enter');
  await page.waitForSelector('#chat-view:not([hidden])', { timeout: WAIT });
  await page.waitForFunction((n) => [...document.querySelectorAll('#online li')].some((li) => li.textContent === n), name, { timeout: WAIT });
  return page;
}

/** openSide opens the rooms and people on a phone, where they are behind a button. */
async function openSide(page, label) {
  if (label !== 'phone') return;
  check(await page.isHidden('#side'), 'on a phone the side panel starts folded away');
  await page.click('#side-toggle');
  await page.waitForSelector('#side.open', { timeout: WAIT });
}

/** everyoneReachable checks that each name in the list can be scrolled to and chosen, and that nothing sticks out sideways. */
async function everyoneReachable(page, label, want) {
  await page.waitForFunction((n) => document.querySelectorAll('#online li').length === n, want, { timeout: WAIT });
  check(await page.textContent('#online-count') === String(want), `the count says ${await page.textContent('#online-count')}, want ${want}`);
  await openSide(page, label);
  const names = await page.$$('#online li button.item');
  const { width, height } = page.viewportSize();
  for (const b of names) {
    await b.scrollIntoViewIfNeeded();
    const box = await b.boundingBox();
    const label = await b.textContent();
    check(box && box.x >= 0 && box.y >= 0 && box.x + box.width <= width && box.y + box.height <= height,
      `${label} is not within the ${width}×${height} window once scrolled to: ${JSON.stringify(box)}`);
    const top = await page.evaluate(([x, y]) => document.elementFromPoint(x, y)?.closest('button')?.textContent,
      [box.x + box.width / 2, box.y + box.height / 2]);
    check(top === label, `${label} is covered by something else once scrolled to (${top})`);
  }
  const sideways = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(sideways <= 0, `the page is ${sideways} px wider than the window`);
  await shot(page, `page-${label}-everyone`);
  console.log(`${label}: all ${want} names can be reached`);
  if (label === 'phone') await page.click('#side-toggle');
}

/**
 * tooLong checks that a message over the limit stays in the box, unsent,
 * with the page saying by how much. The limit is the server's, less what
 * the request around the text takes (a few dozen bytes).
 */
async function tooLong(page, label) {
  const text = 'x'.repeat(70000);
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
  await page.waitForSelector('#limit.over', { state: 'visible', timeout: WAIT });
  const says = await page.textContent('#limit');
  const [, shown] = /over the limit of ([\d,]+) bytes \(64 KiB\)/.exec(says) ?? [];
  const max = Number((shown ?? '').replaceAll(',', ''));
  check(max > LIMIT - 200 && max < LIMIT, `the page says: ${says}`);
  const n = (x) => x.toLocaleString('en');
  check(says.includes(`70,000 bytes, ${n(70000 - max)} over the limit of ${n(max)} bytes (64 KiB)`), `the page says: ${says}`);
  check((await page.inputValue('#text')).length === text.length, 'the box was emptied');
  check(await page.getAttribute('#text', 'aria-invalid') === 'true', 'the box is not marked invalid');
  await shot(page, `page-${label}-too-long`);

  // Bytes, not characters: é is two bytes in UTF-8.
  await page.fill('#text', 'é'.repeat(32800));
  await page.press('#text', 'Enter');
  await waitText(page, '#limit', `65,600 bytes, ${n(65600 - max)} over the limit`);
  check((await page.inputValue('#text')).length === 32800, 'the box was emptied');
  const fits = 'é'.repeat(Math.floor(max / 2)) + 'x'.repeat(max % 2);
  await page.fill('#text', fits);
  await waitText(page, '#limit', `${n(max)} of ${n(max)} bytes`);
  check(!(await page.$('#limit.over')), 'a message of exactly the limit is shown as over it');
  await page.press('#text', 'Enter');
  await page.waitForFunction((t) => [...document.querySelectorAll('#log li.msg.mine:not(.pending) .text')].some((el) => el.textContent === t), fits, { timeout: WAIT });
  check(await page.inputValue('#text') === '', 'the box kept a message that was sent');
  check(await page.isHidden('#limit'), 'the limit is still shown for an empty box');
  check((await page.textContent('#status')) === 'Connected', `the status says ${await page.textContent('#status')}`);
  console.log(`${label}: over the limit it is kept and not sent; at the limit it goes`);
}

/**
 * refusedKeepsText checks the last line of defence: a page that believes
 * the limit is higher than the server's (an older page, a changed flag)
 * sends a message the server refuses with 1009, and the text comes back
 * into the box instead of being lost.
 */
async function refusedKeepsText(ctx, problems) {
  const page = await ctx.newPage();
  page.on('pageerror', (err) => problems.push(`refused: page error: ${err.message}`));
  await page.route('**/api/config', async (route) => {
    const resp = await route.fetch();
    route.fulfill({ response: resp, json: { ...(await resp.json()), maxMessage: 1 << 20 } });
  });
  await page.goto(BASE);
  await page.fill('#name', 'refused');
  await page.press('#name', 'Enter');
  await page.waitForSelector('#send:not([disabled])', { timeout: WAIT });
  const text = 'y'.repeat(70000);
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
  await waitText(page, '#log', 'Connection lost: message too big: the limit is 65536 bytes');
  await page.waitForFunction((n) => document.getElementById('text').value.length === n, text.length, { timeout: WAIT });
  await shot(page, 'page-desktop-refused-1009');
  await page.close();
  console.log('a message the server refused with 1009 is back in the box');
}

/** offline checks what the page shows while the server is away, and that what is typed meanwhile goes once it is back. */
async function offline(ctx, problems) {
  const pages = [];
  for (const { label, size } of SIZES) pages.push({ label, page: await open(ctx, size, `off-${label}`, problems) });
  for (const { page } of pages) await page.waitForFunction(() => document.querySelectorAll('#rooms li .count').length > 0, null, { timeout: WAIT });
  await ask('STOP', 'STOPPED');
  for (const { label, page } of pages) {
    await page.waitForSelector('#online.offline', { state: 'attached', timeout: WAIT });
    check(await page.textContent('#online-count') === 'offline — reconnecting', `the count says ${await page.textContent('#online-count')}`);
    check((await page.$$('#rooms li .count')).length === 0, 'the rooms still show how many are in each');
    await page.fill('#text', `typed while offline on the ${label}`);
    await page.press('#text', 'Enter');
    check(await page.inputValue('#text') === `typed while offline on the ${label}`, 'the box was emptied while offline');
    await openSide(page, label);
    await shot(page, `page-${label}-offline`);
    if (label === 'phone') await page.click('#side-toggle');
  }
  console.log('offline: the people and rooms say so, and the box keeps what is typed');
  await ask('START', 'STARTED');
  for (const { page } of pages) {
    // The page tries again on its own schedule, which has backed off
    // while the server was away: up to MAX_RETRY apart.
    await page.waitForFunction(() => document.querySelector('#status')?.textContent.includes('Reconnected'), null,
      { timeout: MAX_RETRY + WAIT });
    await page.waitForSelector('#online:not(.offline)', { state: 'attached', timeout: WAIT });
    await page.waitForSelector('#send:not([disabled])', { timeout: WAIT });
  }
  for (const { label, page } of pages) await page.press('#text', 'Enter');
  for (const { label } of SIZES) {
    const want = `typed while offline on the ${label}`;
    for (const { page } of pages) {
      await page.waitForFunction((t) => [...document.querySelectorAll('#log li.msg .text')].some((el) => el.textContent === t), want, { timeout: WAIT });
    }
  }
  // Both counted before either leaves: a page that closes is a leave
  // the other hears.
  for (const { page } of pages) {
    check(await page.textContent('#online-count') === '2', `back online the count says ${await page.textContent('#online-count')}`);
  }
  for (const { page } of pages) await page.close();
  console.log('back online: what was typed offline was sent');
}

/**
 * keptThroughReload: the server takes a message but its answers never
 * reach the page (they are dropped on the way); the page, reloaded, still
 * has it on its way (its outbox is kept for the tab), and learns it
 * arrived without sending it twice: the log shows it once, and so does
 * another person's.
 */
async function keptThroughReload(ctx, problems) {
  const text = 'said once, through a reload';
  const watcher = await open(ctx, SIZES[0].size, 'watcher', problems);
  const page = await ctx.newPage();
  page.on('pageerror', (err) => problems.push(`keeper: page error: ${err.message}`));
  let deaf = false; // what the server sends the page is dropped
  await page.routeWebSocket(/\/ws\/chat/, (ws) => {
    const server = ws.connectToServer();
    server.onMessage((m) => {
      if (!deaf) ws.send(m);
    });
  });
  await page.goto(BASE);
  await page.fill('#name', 'keeper');
  await page.press('#name', 'Enter');
  await page.waitForSelector('#send:not([disabled])', { timeout: WAIT });
  // A message that went shows the page caught up: what it sends now goes at once.
  await page.fill('#text', 'before the answers stop');
  await page.press('#text', 'Enter');
  await page.waitForFunction(() => [...document.querySelectorAll('#log li.msg:not(.pending) .text')].some((el) => el.textContent === 'before the answers stop'), null, { timeout: WAIT });
  deaf = true;
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
  const shown = (p, sel) => p.waitForFunction(([s, t]) => [...document.querySelectorAll(s)].some((el) => el.textContent === t), [sel, text], { timeout: WAIT });
  await shown(watcher, '#log li.msg .text');
  await shown(page, '#log li.msg.pending .text');
  check((await page.evaluate(() => sessionStorage.getItem('wschat.outbox.keeper')) ?? '').includes(text), 'the outbox is not kept for the tab');
  deaf = false;
  await page.reload();
  await page.waitForSelector('#send:not([disabled])', { timeout: WAIT });
  await shown(page, '#log li.msg:not(.pending) .text');
  await page.waitForFunction(() => sessionStorage.getItem('wschat.outbox.keeper') === null, null, { timeout: WAIT });
  await watcher.fill('#text', 'after the reload');
  await watcher.press('#text', 'Enter');
  for (const p of [page, watcher]) {
    await p.waitForFunction(() => [...document.querySelectorAll('#log li.msg .text')].some((el) => el.textContent === 'after the reload'), null, { timeout: WAIT });
    const n = (await p.locator('#log li.msg .text').allTextContents()).filter((t) => t === text).length;
    check(n === 1, `a log shows "${text}" ${n} times, want once`);
  }
  await page.close();
  await watcher.close();
  console.log('a message whose answer was lost is still on its way after a reload, and is shown once');
}

/** snippet runs the README's console lines on a page and says what came of it. */
async function snippet(ctx, where, url) {
  const page = await ctx.newPage();
  try {
    await page.goto(where);
    return await page.evaluate(([u, wait]) => new Promise((resolve) => {
      document.addEventListener('securitypolicyviolation', (e) => resolve(`blocked by the page's Content-Security-Policy (${e.violatedDirective})`));
      try {
        const ws = new WebSocket(u);
        ws.onopen = () => ws.send('Hello from the browser!');
        ws.onmessage = (e) => { resolve(`works: ${e.data}`); ws.close(); };
        ws.onclose = (e) => resolve(`closed ${e.code} ${e.reason}`);
        setTimeout(() => resolve(`no answer in ${wait} ms`), wait);
      } catch (err) {
        resolve(`refused: ${err.message}`);
      }
    }), [url, WAIT]);
  } finally {
    await page.close();
  }
}

/** consoleSnippet tries the README's snippet where a reader might paste it, and reports where it works. */
async function consoleSnippet(ctx) {
  const port = new URL(BASE).port;
  const url = `ws://localhost:${port}/ws/chat?name=dave`;
  const file = path.join(OUT, 'snippet.html');
  await writeFile(file, '<!doctype html><title>snippet</title>');
  const results = {};
  for (const where of [`http://localhost:${port}/`, `http://127.0.0.1:${port}/`, 'about:blank', 'data:text/html,<title>x</title>', `file://${file}`]) {
    results[where] = await snippet(ctx, where, url);
    console.log(`the console snippet on ${where.replace(port, 'PORT').replace(file, 'snippet.html')}: ${results[where]}`);
  }
  await rm(file, { force: true });
  check(results[`http://localhost:${port}/`].startsWith('works: * welcome, dave!'), 'the snippet does not work on the page\'s own origin');
}

async function scenario(ctx) {
  const problems = [];
  for (const { label, size } of SIZES) {
    const page = await open(ctx, size, `writer-${label}`, problems);
    await everyoneReachable(page, label, PEOPLE + 1);
    await tooLong(page, label);
    await page.close();
  }
  await refusedKeepsText(ctx, problems);
  await offline(ctx, problems);
  await keptThroughReload(ctx, problems);
  await consoleSnippet(ctx);
  if (problems.length > 0) throw new Error(`the page reported problems:\n  ${problems.join('\n  ')}`);
}

if (!BASE || !PEOPLE) {
  console.error('WSCHAT_URL or PEOPLE is not set');
  process.exit(1);
}
await run(scenario, SIZES[0].size);
