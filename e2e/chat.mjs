// End-to-end test of the built-in chat page in headless Chromium, run by
// TestBrowserChat in browser_test.go, which serves the chat at WSCHAT_URL.
//
// The script and the Go test talk over lines: the script prints STOP and
// waits for STOPPED on stdin once the server is down, then prints START
// and waits for STARTED once a new server listens on the same address.
// The Go test also runs a proxy to the server at WSCHAT_PROXY_URL: the
// script prints SEVER and waits for SEVERED once the proxy has ended the
// browser's side of every connection through it while keeping the
// server's side open (half-open: the server does not notice), and prints
// RELEASE and waits for RELEASED once the proxy has closed those server
// sides. Any other line it prints is a log line. It exits 0 when every
// check passed, 1 with the reason on stderr otherwise.
//
// Environment: WSCHAT_URL and WSCHAT_PROXY_URL (required), CHROMIUM
// (default /usr/bin/chromium), OUT_DIR for screenshots (default
// ../test-output).

import { WAIT, ask, check, run, shot } from './lib.mjs';

const BASE = process.env.WSCHAT_URL;
const PROXY = process.env.WSCHAT_PROXY_URL;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 700 };
const XSS = '<img src=x onerror=alert(1)>';
const POSE = '* carol joined';
// A small red picture, to share.
const PICTURE = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAABgAAAAQCAYAAAAMJL+VAAAAHklEQVR4nGM4YWPzn5aYYdSCUQtGLRi1YNSCoWABAJd6Xq5ZdgTEAAAAAElFTkSuQmCC', 'base64');

const CSP_SAYS = /content security policy|trusted type/i;
// Chromium logs each failed WebSocket attempt while the server is down.
const EXPECTED_ERROR = /^WebSocket connection to 'ws:\/\/[^']+\/ws\/chat\?[^']*' failed/;


/** watch records a page's console errors, page errors, dialogs and CSP violations. */
function watch(page, label, problems) {
  page.on('console', (msg) => {
    const text = msg.text();
    if (CSP_SAYS.test(text)) problems.push(`${label}: CSP: ${text}`);
    else if (msg.type() === 'error' && !EXPECTED_ERROR.test(text)) problems.push(`${label}: console error: ${text} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => problems.push(`${label}: page error: ${err.message}`));
  page.on('dialog', (d) => {
    problems.push(`${label}: a dialog opened: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  page.on('requestfailed', (req) => {
    if (!req.url().startsWith('ws')) problems.push(`${label}: request failed: ${req.url()}`);
  });
}

/** open loads the page from base in a new tab of the given size, and checks its headers. */
async function open(ctx, size, label, problems, base = BASE) {
  const page = await ctx.newPage();
  await page.setViewportSize(size);
  watch(page, label, problems);
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      console.error(`Content Security Policy violation: ${e.violatedDirective} blocked ${e.blockedURI}`));
  });
  const resp = await page.goto(base);
  check(resp.ok(), `GET / status ${resp.status()}`);
  const h = resp.headers();
  check(h['content-security-policy']?.includes("connect-src 'self'"), `CSP header: ${h['content-security-policy']}`);
  check(h['x-content-type-options'] === 'nosniff', 'nosniff header');
  return page;
}

/** join fills in the name and presses Enter. */
async function join(page, name) {
  await page.fill('#name', name);
  await page.press('#name', 'Enter');
}

/** joined waits until the page shows the chat with name online. */
async function joined(page, name) {
  await page.waitForSelector('#chat-view:not([hidden])', { timeout: WAIT });
  await seesOnline(page, name);
}

/** seesOnline waits until name is in the page's online list. */
async function seesOnline(page, name) {
  await page.waitForFunction(
    (n) => [...document.querySelectorAll('#online li')].some((li) => li.textContent === n),
    name, { timeout: WAIT });
}

/** seesOffline waits until name is gone from the page's online list. */
async function seesOffline(page, name) {
  await page.waitForFunction(
    (n) => ![...document.querySelectorAll('#online li')].some((li) => li.textContent === n),
    name, { timeout: WAIT });
}

/** say types text into the composer and presses Enter. */
async function say(page, text) {
  await page.waitForSelector('#send:not([disabled])', { timeout: WAIT });
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
}

/** seesMessage waits for a message from name with exactly text, shown as a message. */
async function seesMessage(page, name, text) {
  await page.waitForFunction(
    ([n, t]) => [...document.querySelectorAll('#log li.msg')].some(
      (li) => li.querySelector('.who')?.textContent === n && li.querySelector('.text')?.textContent === t),
    [name, text], { timeout: WAIT });
}

/** seesNotice waits for a notice line containing text. */
async function seesNotice(page, text) {
  await page.waitForFunction(
    (t) => [...document.querySelectorAll('#log li.notice .text')].some((el) => el.textContent.includes(t)),
    text, { timeout: WAIT });
}

/** seesStatus waits until the header status matches re. */
async function seesStatus(page, re) {
  await page.waitForFunction(
    ([src, flags]) => new RegExp(src, flags).test(document.getElementById('status').textContent),
    [re.source, re.flags], { timeout: WAIT });
}

/** seesError waits until the join form's error says text. */
async function seesError(page, text) {
  await page.waitForFunction(
    (t) => document.getElementById('join-error').textContent.includes(t),
    text, { timeout: WAIT });
}

/**
 * cspEnforced shows, on a page of its own, that Chromium applies the
 * policy: it refuses a string as HTML (Trusted Types), an inline style,
 * and an image, a style sheet and a WebSocket from another origin (still
 * this machine; refused before any connection).
 */
async function cspEnforced(ctx) {
  const page = await ctx.newPage();
  await page.goto(BASE);
  const got = await page.evaluate(async () => {
    const seen = new Set();
    document.addEventListener('securitypolicyviolation', (e) => seen.add(e.effectiveDirective));
    const result = {};
    try { document.body.innerHTML = '<b>x</b>'; result.innerHTML = 'ran'; } catch (e) { result.innerHTML = e.name; }
    const other = `${location.hostname === 'localhost' ? '127.0.0.1' : 'localhost'}:${location.port}`;
    const style = document.createElement('style');
    style.textContent = 'body { color: red }';
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = `http://${other}/style.css`;
    const img = document.createElement('img');
    img.src = `http://${other}/x.png`;
    document.head.append(style, link);
    document.body.append(img);
    await new Promise((done) => {
      const ws = new WebSocket(`ws://${other}/ws/chat?name=x`);
      ws.onerror = ws.onclose = () => done();
      ws.onopen = () => { result.otherOrigin = 'opened'; ws.close(); };
    });
    const want = ['style-src-elem', 'img-src', 'connect-src'];
    for (let i = 0; i < 100 && !want.every((d) => seen.has(d)); i++) await new Promise((r) => setTimeout(r, 20));
    result.violations = [...seen].sort();
    return result;
  });
  await page.close();
  check(got.innerHTML === 'TypeError', `innerHTML should be refused by Trusted Types, got ${got.innerHTML}`);
  check(got.otherOrigin !== 'opened', 'a WebSocket to another origin opened');
  for (const d of ['style-src-elem', 'img-src', 'connect-src']) {
    check(got.violations.includes(d), `a ${d} violation was expected, saw ${got.violations}`);
  }
  console.log(`CSP enforced: innerHTML refused (${got.innerHTML}); violations: ${got.violations.join(', ')}`);
}

/**
 * halfOpen is the case of a page whose connection is gone without the
 * server noticing (a phone going offline): the server keeps the name until
 * its keepalive drops the old connection, and refuses the page's
 * reconnection as taken meanwhile. The page keeps trying, saying why, and
 * gets back in once the server lets go; if the server never does, it gives
 * up after 90 s and goes back to the join form with the reason.
 *
 * dave's page goes through the Go test's proxy, which makes connections
 * half-open (SEVER) and then lets the server see them close (RELEASE).
 * dave has a browser context of his own whose clock stands still, so the
 * page waits exactly as long as the script moves it on. alice is on the
 * server directly and sees what others see.
 */
async function halfOpen(ctx, alice, problems) {
  const daveCtx = await ctx.browser().newContext();
  try {
    const now = Date.now();
    await daveCtx.clock.install({ time: now });
    await daveCtx.clock.pauseAt(now + 60_000); // from then on, time moves when the script says

    const dave = await open(daveCtx, PHONE, 'dave', problems, PROXY);
    await join(dave, 'dave');
    await joined(dave, 'dave');
    await seesOnline(alice, 'dave');
    await say(alice, 'before the blink');
    await seesMessage(dave, 'alice', 'before the blink');

    await ask('SEVER', 'SEVERED');
    await say(alice, 'while dave was away');
    await seesNotice(dave, 'Connection lost');
    await seesStatus(dave, /^Connection lost — reconnecting in 1 s…$/);
    const first = await retryOnce(dave, 1);
    check(first === 2, `the first retry after "taken" should wait 2 s, waits ${first} s`);
    await seesNotice(dave, 'Your previous connection is still open on the server');
    check(await dave.isHidden('#join-view'), 'a page whose old connection is open went back to the join form');
    check((await alice.locator('#online li').allTextContents()).includes('dave'),
      "the server should still hold dave's old connection");
    await shot(dave, 'phone-previous-still-open');
    console.log('a reconnection refused as taken retries, saying the old connection is still open');

    await ask('RELEASE', 'RELEASED');
    await seesNotice(alice, 'dave left');
    check(await retryOnce(dave, first) === 0, 'the retry after the old connection closed did not get in');
    await seesStatus(dave, /^Reconnected$/);
    await seesNotice(dave, 'Reconnected');
    await seesOnline(alice, 'dave');
    await seesMessage(dave, 'alice', 'while dave was away');
    for (const text of ['before the blink', 'while dave was away']) {
      const n = (await dave.locator('#log li.msg .text').allTextContents()).filter((t) => t === text).length;
      check(n === 1, `dave's log shows "${text}" ${n} times, want once`);
    }
    console.log('the reconnected page showed what it missed, once, and nothing twice');
    await say(dave, 'back after a half-open connection');
    await seesMessage(alice, 'dave', 'back after a half-open connection');
    console.log('once the server let go of the old connection, the page got back in by itself');

    // The old connection stays: the page backs off, and after 90 s gives up.
    await ask('SEVER', 'SEVERED');
    await seesStatus(dave, /^Connection lost — reconnecting in 1 s…$/);
    const waits = [];
    for (let wait = await retryOnce(dave, 1); wait > 0; wait = await retryOnce(dave, wait)) {
      waits.push(wait);
      check(waits.length <= 10, `the page kept retrying: ${waits}`);
    }
    check(waits.join() === '2,4,8,16,30,30', `the retries waited ${waits} s, want 2,4,8,16,30,30 (90 s in all)`);
    await seesError(dave, 'Could not reconnect — name "dave" is taken: choose another. ' +
      'The server still had your previous connection open after 90 s.');
    check(await dave.isVisible('#join-view') && await dave.isHidden('#chat-view'), 'the page that gave up shows the join form');
    check(await dave.inputValue('#name') === 'dave', 'the name is kept to join again');
    await shot(dave, 'phone-gave-up');
    await ask('RELEASE', 'RELEASED');
    await seesOffline(alice, 'dave');
    await join(dave, 'dave');
    await joined(dave, 'dave');
    console.log(`a page whose old connection stayed open retried after ${waits.join(', ')} s, gave up, and could join again`);
  } finally {
    await daveCtx.close();
  }
}

/**
 * retryOnce moves page's stopped clock on by the seconds its status counts
 * down from, so that it reconnects, and waits for the outcome: it returns
 * the next wait in seconds when the name was still taken, or 0 when the
 * page is back in or gone back to the join form.
 */
async function retryOnce(page, seconds) {
  const attempt = page.waitForEvent('websocket', { timeout: WAIT });
  await page.clock.fastForward(seconds * 1000);
  await attempt;
  const outcome = await page.waitForFunction(() => {
    const m = /^Your previous connection is still open on the server; retrying in (\d+) s…$/
      .exec(document.getElementById('status').textContent);
    if (m) return { wait: Number(m[1]) };
    if (!document.getElementById('send').disabled || !document.getElementById('join-view').hidden) return { wait: 0 };
    return null;
  }, null, { timeout: WAIT });
  return (await outcome.jsonValue()).wait;
}

/** roomBadge returns the unread badge of a room or conversation in page's side lists, or '' for none. */
async function badge(page, list, label) {
  return page.evaluate(([l, name]) => {
    const li = [...document.querySelectorAll(`#${l} li`)].find((x) => x.querySelector('button.item')?.textContent === name);
    return li?.querySelector('.unread')?.textContent ?? '';
  }, [list, label]);
}

/** seesBadge waits until the unread badge of label in list reads want. */
async function seesBadge(page, list, label, want) {
  await page.waitForFunction(([l, name, w]) => {
    const li = [...document.querySelectorAll(`#${l} li`)].find((x) => x.querySelector('button.item')?.textContent === name);
    return (li?.querySelector('.unread')?.textContent ?? '') === w;
  }, [list, label, want], { timeout: WAIT });
}

/** seesTitle waits until the view's title reads want. */
async function seesTitle(page, want) {
  await page.waitForFunction((w) => document.getElementById('view-title').textContent === w, want, { timeout: WAIT });
}

/**
 * rooms: a deep link opens a room; the room list moves a person; people in
 * other rooms hear nothing; a name opens a private conversation; typing
 * shows under the log; unread counts mark rooms and conversations not in
 * view.
 */
async function rooms(ctx, problems) {
  const erin = await open(ctx, DESKTOP, 'erin', problems, `${BASE}?room=go`);
  check(await erin.inputValue('#join-room') === 'go', 'the deep link /?room=go fills in the room');
  await join(erin, 'erin');
  await joined(erin, 'erin');
  await seesTitle(erin, '# go');
  check(new URL(erin.url()).search === '?room=go', `erin's address is ${erin.url()}`);
  const frank = await open(ctx, PHONE, 'frank', problems);
  await join(frank, 'frank');
  await joined(frank, 'frank');
  await seesTitle(frank, '# lobby');
  await frank.click('#side-toggle');
  await frank.waitForFunction(() => [...document.querySelectorAll('#rooms button.item')].some((b) => b.textContent === '# go'), null, { timeout: WAIT });
  await shot(frank, 'phone-rooms');
  await frank.click('#rooms button.item >> text="# go"');
  await seesTitle(frank, '# go');
  await seesNotice(erin, 'frank joined');
  await seesOnline(erin, 'frank');
  console.log('a deep link opened a room, and the room list moved a person there');

  await frank.fill('#text', 'typing something');
  await erin.waitForFunction(() => document.getElementById('typing').textContent === 'frank is typing…', null, { timeout: WAIT });
  await shot(erin, 'desktop-typing');
  await frank.press('#text', 'Enter');
  await seesMessage(erin, 'frank', 'typing something');
  await erin.waitForFunction(() => document.getElementById('typing').textContent === '', null, { timeout: WAIT });
  console.log('typing showed under the log, and went once the message came');

  await erin.click('#online button.item >> text="frank"');
  await seesTitle(erin, 'Private with frank');
  await say(erin, 'psst, frank');
  await seesMessage(erin, 'erin', 'psst, frank');
  await frank.waitForFunction(() => !document.getElementById('convs-section').hidden, null, { timeout: WAIT });
  await seesBadge(frank, 'convs', 'erin', '1');
  check(!(await frank.locator('#log li.msg .text').allTextContents()).includes('psst, frank'), "a private message showed in frank's room view");
  await frank.click('#side-toggle');
  await frank.click('#convs button.item >> text="erin"');
  await seesTitle(frank, 'Private with erin');
  await seesMessage(frank, 'erin', 'psst, frank');
  check(await badge(frank, 'convs', 'erin') === '', 'the conversation in view still shows unread');
  await say(frank, 'hi erin, only you see this');
  await seesMessage(erin, 'frank', 'hi erin, only you see this');
  console.log('a name opened a private conversation, unread until opened');

  // Room messages while frank reads the conversation count as unread on the room.
  await erin.click('#rooms button.item >> text="# go"');
  await seesTitle(erin, '# go');
  await say(erin, 'back in the room');
  await seesBadge(frank, 'rooms', '# go', '1');
  // And a room frank left counts what it had since.
  await frank.click('#side-toggle');
  await frank.fill('#room-name', 'lobby');
  await frank.press('#room-name', 'Enter');
  await seesTitle(frank, '# lobby');
  await seesNotice(erin, 'frank left');
  await say(erin, 'one');
  await say(erin, 'two');
  await seesBadge(frank, 'rooms', '# go', '2');
  await frank.click('#side-toggle');
  await shot(frank, 'phone-unread');
  await shot(erin, 'desktop-rooms');
  console.log('rooms and conversations not in view showed unread counts');

  // A picture shared in go shows as a preview to frank, back in go.
  await frank.click('#rooms button.item >> text="# go"');
  await seesTitle(frank, '# go');
  await seesNotice(erin, 'frank joined');
  await erin.setInputFiles('#file', { name: 'red.png', mimeType: 'image/png', buffer: PICTURE });
  await frank.waitForFunction(() => [...document.querySelectorAll('#log li.msg img.preview')].some(
    (img) => img.alt === 'red.png' && img.complete && img.naturalWidth === 24), null, { timeout: WAIT });
  await erin.waitForFunction(() => [...document.querySelectorAll('#log li.msg.mine a.file')].some((a) => a.textContent === 'red.png'),
    null, { timeout: WAIT });
  await shot(frank, 'phone-picture');
  console.log('a shared picture showed as a preview to the room');
  await erin.close();
  await frank.close();
}

/** scenario is the whole test, in the browser context ctx. */
async function scenario(ctx) {
  const problems = [];
  const alice = await open(ctx, DESKTOP, 'alice', problems);
  const bob = await open(ctx, PHONE, 'bob', problems);

  await join(alice, 'alice');
  await joined(alice, 'alice');
  await join(bob, 'bob');
  await joined(bob, 'bob');
  await seesOnline(bob, 'alice');
  await seesOnline(alice, 'bob');
  await seesNotice(alice, 'bob joined');
  console.log('alice and bob joined and see each other online');

  await say(alice, 'hello from alice');
  await seesMessage(bob, 'alice', 'hello from alice');
  await seesMessage(alice, 'alice', 'hello from alice');
  await say(bob, 'hi alice, bob here');
  await seesMessage(alice, 'bob', 'hi alice, bob here');
  console.log('messages went both ways');

  await say(bob, XSS);
  await seesMessage(alice, 'bob', XSS);
  check(await alice.locator('#log img').count() === 0, 'an <img> from a message reached the page');
  await say(bob, POSE);
  await seesMessage(alice, 'bob', POSE);
  check(!(await alice.locator('#log li.notice').allTextContents()).some((t) => t.includes('carol')),
    'a message posed as a notice');
  console.log('markup in a message is shown as text; a message cannot pose as a notice');

  await say(alice, 'a longer message, to see how the bubbles wrap on a narrow screen and whether the layout still reads well');
  await seesMessage(bob, 'alice', 'a longer message, to see how the bubbles wrap on a narrow screen and whether the layout still reads well');
  await shot(alice, 'desktop-chat');
  await shot(bob, 'phone-chat');

  // A taken name is refused, case-insensitively, with the reason on the page.
  const carol = await open(ctx, PHONE, 'carol', problems);
  await join(carol, 'ALICE');
  await seesError(carol, 'Could not join — name "ALICE" is taken: choose another');
  check(await carol.isVisible('#join-view') && await carol.isHidden('#chat-view'), 'refused page shows the join form');
  check(await carol.inputValue('#name') === 'ALICE', 'the refused name is kept to edit');
  await shot(carol, 'phone-refused');
  console.log('a taken name is refused with the reason on the page');
  // So is a name the server does not accept.
  await join(carol, 'carol smith');
  await seesError(carol, 'Could not join — name may use only letters, digits');
  check(await carol.isVisible('#join-view'), 'a page refused a bad name shows the join form');
  console.log('a bad name is refused with the reason on the page');
  // ...and another name can be picked from there; leaving is seen by others.
  await join(carol, 'carol');
  await joined(carol, 'carol');
  await seesNotice(alice, 'carol joined');
  await carol.click('#leave');
  await carol.waitForSelector('#join-view:not([hidden])', { timeout: WAIT });
  await seesNotice(alice, 'carol left');
  await seesOffline(alice, 'carol');
  await carol.close();
  console.log('another name joined, then left');

  // The server restarts: the pages wait, backing off, and reconnect by themselves.
  await ask('STOP', 'STOPPED');
  await seesStatus(alice, /reconnecting in \d+ s/);
  await seesStatus(bob, /reconnecting in \d+ s/);
  await seesNotice(alice, 'Connection lost');
  await seesStatus(alice, /^Connection lost — reconnecting in 2 s…$/);
  check(await alice.isDisabled('#send'), 'send is disabled while disconnected');
  await shot(bob, 'phone-reconnecting');
  console.log('the pages say they are reconnecting, backing off');
  await ask('START', 'STARTED');
  await seesStatus(alice, /^Reconnected$/);
  await seesStatus(bob, /^Reconnected$/);
  await seesOnline(alice, 'bob');
  await seesOnline(bob, 'alice');
  await say(bob, 'back after the restart');
  await seesMessage(alice, 'bob', 'back after the restart');
  await say(alice, 'welcome back');
  await seesMessage(bob, 'alice', 'welcome back');
  await shot(alice, 'desktop-reconnected');
  console.log('both pages reconnected by themselves and chat again');

  await rooms(ctx, problems);
  await halfOpen(ctx, alice, problems);
  await cspEnforced(ctx);
  if (problems.length > 0) throw new Error(`the pages reported problems:\n  ${problems.join('\n  ')}`);
  console.log('no CSP violations, console errors or page errors');
}

if (!BASE || !PROXY) {
  console.error('WSCHAT_URL or WSCHAT_PROXY_URL is not set');
  process.exit(1);
}
await run(scenario, DESKTOP);
