// End-to-end test of acting on messages and finding them on the built-in
// page, run by TestBrowserActions in browser_expect_test.go, which serves
// the chat at WSCHAT_URL with SEEDED messages already said in the room
// "old" by "seeder". alice chats at a desktop's size (1280×800), bob at a
// phone's (390×844):
//
//   - a message of two lines (Shift+Enter) with a link, a javascript:
//     address and @bob: bob sees the lines, a safe link and no other, and
//     his name marked; his title counts it while his tab is hidden, and a
//     notification says he was mentioned;
//   - alice edits it, bob reacts and replies, alice reacts too and then
//     deletes it: each shows on the other page as it happens;
//   - the log has a line for the day, and each time its full date;
//   - in "old", the messages the page was not replayed come with "Show
//     older messages"; a search finds one of them and leads to it;
//   - a private conversation: one's own messages are never unread, the
//     phone's button says a message came, a file goes to the two alone,
//     and an upload can be cancelled;
//   - /join typed in the box moves, and says so; a reload keeps the name
//     and the private conversation.
//
// It exits 0 after printing PASS, 1 with the reason on stderr otherwise.
// Environment: WSCHAT_URL, WSCHAT_SLOW_URL (the same server over a slow
// uplink, where alice's page goes), SEEDED (required), CHROMIUM, OUT_DIR.

import { WAIT, ask, check, line, run, shot } from './lib.mjs';

const BASE = process.env.WSCHAT_URL;
const SLOW = process.env.WSCHAT_SLOW_URL; // the same server, over a slow uplink
const SEEDED = Number(process.env.SEEDED);
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
// A small red picture, to share.
const PICTURE = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAABgAAAAQCAYAAAAMJL+VAAAAHklEQVR4nGM4YWPzn5aYYdSCUQtGLRi1YNSCoWABAJd6Xq5ZdgTEAAAAAElFTkSuQmCC', 'base64');

/** open joins as name in a new tab of the given size, watching for errors; notifications are recorded. */
async function open(ctx, size, name, problems, room = '', base = BASE) {
  const page = await ctx.newPage();
  await page.setViewportSize(size);
  page.on('pageerror', (err) => problems.push(`${name}: page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/WebSocket connection to/.test(msg.text())) problems.push(`${name}: console error: ${msg.text()}`);
  });
  await page.addInitScript(() => {
    window.notified = [];
    window.Notification = class {
      static permission = 'granted';
      static requestPermission() { return Promise.resolve('granted'); }
      constructor(title, opts) { window.notified.push({ title, body: opts?.body }); }
      close() {}
    };
  });
  await page.goto(room ? `${base}?room=${room}` : base);
  await page.fill('#name', name);
  await page.press('#name', 'Enter');
  await page.waitForSelector('#chat-view:not([hidden])', { timeout: WAIT });
  await page.waitForSelector('#send:not([disabled])', { timeout: WAIT });
  return page;
}

/** waitFor waits until fn(arg) is true in the page. */
const waitFor = (page, fn, arg) => page.waitForFunction(fn, arg, { timeout: WAIT });

/** hide makes the page's tab hidden, as another tab in front would. */
async function hide(page, hidden) {
  await page.evaluate((h) => {
    Object.defineProperty(document, 'hidden', { value: h, configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

/** actions: two lines, a link, a mention, an edit, reactions, a reply and a deletion, across a desktop and a phone. */
async function actions(alice, bob) {
  await hide(bob, true);
  await alice.fill('#text', 'helo @bob, see https://example.com/a?b=1');
  await alice.press('#text', 'Shift+Enter');
  await alice.type('#text', 'and javascript:alert(1)');
  await alice.press('#text', 'Enter');
  const first = line(bob, 'helo');
  await first.waitFor({ timeout: WAIT });
  check(await first.locator('.text').evaluate((e) => e.textContent) === 'helo @bob, see https://example.com/a?b=1\nand javascript:alert(1)', 'the two lines did not come as written');
  const links = await first.locator('a').evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.rel, a.target]));
  check(links.length === 1 && links[0][0] === 'https://example.com/a?b=1' && links[0][1] === 'noopener noreferrer' && links[0][2] === '_blank',
    `the links are ${JSON.stringify(links)}`);
  check(await first.locator('.mention-me').textContent() === '@bob', 'bob\'s name is not marked for bob');
  await waitFor(bob, () => document.title.startsWith('@ (1)'));
  await waitFor(bob, () => window.notified.some((n) => n.title === 'alice mentioned you in lobby'));
  check(!(await line(alice, 'helo').locator('.mention-me').count()), 'alice sees bob\'s name marked as hers');
  await hide(bob, false);
  await waitFor(bob, () => document.title === 'wschat');
  console.log('two lines, a safe link, a mention marked, counted in the title and notified while hidden');

  await line(alice, 'helo').hover();
  await line(alice, 'helo').locator('button[title="Edit"]').click();
  check(await alice.inputValue('#text') === 'helo @bob, see https://example.com/a?b=1\nand javascript:alert(1)', 'the box does not hold the message to edit');
  await alice.fill('#text', 'hello @bob, see https://example.com/a?b=1');
  await alice.press('#text', 'Enter');
  await waitFor(bob, () => [...document.querySelectorAll('#log li.msg')].some((li) => li.querySelector('.text').textContent.startsWith('hello @bob') && li.querySelector('.edited').textContent.includes('edited')));
  console.log('an edit showed on the other page');

  await line(bob, 'hello').locator('.who').click(); // a tap: a phone has no hover
  await line(bob, 'hello').locator('button[title="React"]').click();
  await line(bob, 'hello').locator('button.pick', { hasText: '👍' }).click();
  await waitFor(alice, () => [...document.querySelectorAll('#log li.msg button.reaction')].some((b) => b.textContent === '👍 1'));
  await alice.locator('#log li.msg button.reaction', { hasText: '👍 1' }).click();
  await waitFor(bob, () => [...document.querySelectorAll('#log li.msg button.reaction')].some((b) => b.textContent === '👍 2' && b.getAttribute('aria-pressed') === 'true'));
  console.log('reactions counted on both pages');

  await line(bob, 'hello').locator('button[title="Reply"]').click();
  await waitFor(bob, () => document.getElementById('compose-what').textContent.startsWith('Replying to alice'));
  await bob.fill('#text', 'thanks!');
  await bob.press('#text', 'Enter');
  await waitFor(alice, () => [...document.querySelectorAll('#log li.msg')].some((li) => li.querySelector('.text').textContent === 'thanks!'
    && li.querySelector('.quote')?.textContent === 'alice hello @bob, see https://example.com/a?b=1'));
  await shot(alice, 'expect-desktop-actions');
  await shot(bob, 'expect-phone-actions');

  await line(alice, 'hello').hover();
  await line(alice, 'hello').locator('button[title="Delete"]').click();
  await waitFor(bob, () => ![...document.querySelectorAll('#log li.msg .text')].some((t) => t.textContent.startsWith('hello @bob')));
  console.log('a reply quoted its message; a deletion took it away on the other page');

  const day = await bob.locator('#log li.day').first().textContent();
  const title = await bob.locator('#log li.msg time').first().getAttribute('title');
  check(day === 'Today', `the day's line says ${day}`);
  check(/\d{4}/.test(title ?? ''), `a time's full date says ${title}`);
  console.log(`the log starts the day with "${day}"; a time says "${title}" on hover`);
}

/** older: the room's messages before what was replayed are a button away, and a search leads to one of them. */
async function older(alice, label) {
  if (label === 'phone') await alice.click('#side-toggle');
  await alice.fill('#room-name', 'old');
  await alice.press('#room-name', 'Enter');
  await waitFor(alice, () => document.getElementById('view-title').textContent === '# old');
  await waitFor(alice, () => document.querySelectorAll('#log li.msg').length === 50);
  check((await alice.textContent('#log li.msg .text')) === `seed ${SEEDED - 50}`, 'the replay does not start 50 from the end');
  await alice.click('#log .older button');
  await waitFor(alice, (n) => document.querySelectorAll('#log li.msg').length === n, SEEDED);
  await waitFor(alice, () => document.querySelector('#log .older button').textContent === 'The start of what this room keeps');
  check((await alice.textContent('#log li.msg .text')) === 'seed 0', 'the oldest message is not the first');
  console.log(`${label}: "Show older messages" reached all ${SEEDED} messages`);

  await alice.reload();
  await waitFor(alice, () => document.getElementById('view-title').textContent === '# old');
  await alice.waitForSelector('#send:not([disabled])', { timeout: WAIT });
  await alice.click('#search-toggle');
  await alice.fill('#search-text', 'SEED 7');
  await alice.press('#search-text', 'Enter');
  await waitFor(alice, () => document.getElementById('search-says').textContent.startsWith('One message in old says'));
  await shot(alice, `expect-${label}-search`);
  await alice.click('#search-results .result-button');
  await waitFor(alice, () => [...document.querySelectorAll('#log li.msg.flash .text')].some((t) => t.textContent === 'seed 7'));
  const box = await alice.locator('#log li.msg.flash').boundingBox();
  const { height } = alice.viewportSize();
  check(box && box.y >= 0 && box.y + box.height <= height, `the message found is not in view: ${JSON.stringify(box)}`);
  console.log(`${label}: a reload kept the name and room; a search led to a message older than the replay`);
}

/** privately: one's own private messages are not unread; the phone's button shows what came; files go to the two alone; an upload can be cancelled. */
async function privately(alice, bob) {
  await alice.fill('#text', '/join lobby');
  await alice.press('#text', 'Enter');
  await waitFor(alice, () => document.getElementById('view-title').textContent === '# lobby');
  check(await alice.textContent('#status') === 'Connected', `after /join the status says ${await alice.textContent('#status')}`);
  check((await alice.locator('#log li.notice .text').allTextContents()).includes('You are in lobby'), 'the log does not say where alice is');
  check(!(await alice.locator('#log li.notice .text').allTextContents()).includes('Reconnected'), '/join was taken for a reconnection');
  console.log('/join typed in the box moved, and said so');

  await alice.fill('#text', '/msg bob psst');
  await alice.press('#text', 'Enter');
  await waitFor(alice, () => [...document.querySelectorAll('#convs button.item')].some((b) => b.textContent === 'bob'));
  check(!(await alice.locator('#convs .unread').count()), 'alice\'s own private message counts as unread for her');
  await waitFor(bob, () => !document.getElementById('side-badge').hidden && document.getElementById('side-badge').textContent === '1');
  await shot(bob, 'expect-phone-private-badge');
  await bob.click('#side-toggle');
  await bob.click('#convs button.item >> text="alice"');
  await waitFor(bob, () => document.getElementById('side-badge').hidden);
  console.log('a private message: not unread for its writer; on the phone the button says it came');

  await bob.setInputFiles('#file', { name: 'red.png', mimeType: 'image/png', buffer: PICTURE });
  await alice.click('#convs button.item >> text="bob"');
  await waitFor(alice, () => [...document.querySelectorAll('#log li.msg img.preview')].some((img) => img.alt === 'red.png'));
  await alice.click('#rooms button.item >> text="# lobby"');
  check(!(await alice.locator('#log a.file').count()), 'the private file showed in the room');
  console.log('a file shared privately reached the other person, not the room');

  await alice.click('#convs button.item >> text="bob"');
  await alice.setInputFiles('#file', { name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(900 * 1024, 7) });
  await alice.waitForSelector('#upload:not([hidden])', { timeout: WAIT });
  await alice.click('#upload-cancel');
  await waitFor(alice, () => [...document.querySelectorAll('#log li.notice .text')].some((t) => t.textContent === 'Sharing big.bin was cancelled: nobody got it'));
  await ask('UPLOAD_SETTLED', 'UPLOAD_SETTLED');
  check(!(await bob.locator('#log a.file', { hasText: 'big.bin' }).count()), 'the cancelled file reached bob');
  console.log('an upload was cancelled, and nobody got it');

  await alice.reload();
  await alice.waitForSelector('#send:not([disabled])', { timeout: WAIT });
  check(await alice.textContent('#me-name') === 'alice', 'a reload forgot the name');
  await alice.click('#convs button.item >> text="bob"');
  await waitFor(alice, () => [...document.querySelectorAll('#log li.msg .text')].some((t) => t.textContent === 'psst'));
  await shot(alice, 'expect-desktop-private-kept');
  console.log('a reload kept the private conversation');
}

/** elsewhere: someone named in a room they are not in is told, and notified while the tab is hidden. */
async function elsewhere(alice, carol) {
  await hide(carol, true);
  await alice.click('#rooms button.item >> text="# lobby"');
  await waitFor(alice, () => document.getElementById('view-title').textContent === '# lobby');
  await alice.fill('#text', 'have you seen this, @carol?');
  await alice.press('#text', 'Enter');
  await waitFor(carol, () => [...document.querySelectorAll('#log li.notice .text')].some((t) => t.textContent === 'alice mentioned you in lobby: have you seen this, @carol?'));
  await waitFor(carol, () => document.title.startsWith('@ '));
  await waitFor(carol, () => window.notified.some((n) => n.title === 'alice mentioned you in lobby'));
  await hide(carol, false);
  console.log('a mention in a room carol was not in reached her, and notified her while hidden');
}

async function scenario(ctx) {
  const problems = [];
  const alice = await open(ctx, DESKTOP, 'alice', problems, '', SLOW);
  const bob = await open(ctx, PHONE, 'bob', problems);
  await actions(alice, bob);
  await older(alice, 'desktop');
  await privately(alice, bob);
  const carol = await open(ctx, PHONE, 'carol', problems);
  await older(carol, 'phone');
  await elsewhere(alice, carol);
  if (problems.length > 0) throw new Error(`the pages reported problems:\n  ${problems.join('\n  ')}`);
}

if (!BASE || !SLOW || !SEEDED) {
  console.error('WSCHAT_URL, WSCHAT_SLOW_URL or SEEDED is not set');
  process.exit(1);
}
await run(scenario, DESKTOP);
