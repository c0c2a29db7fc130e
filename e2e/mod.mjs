// End-to-end test of moderation on the built-in page, run by
// TestBrowserModeration in browser_mod_test.go, which serves the chat
// with built-in accounts at WSCHAT_URL. Twice, the owner at a desktop's
// size (1280×800) and a troublemaker at a phone's (390×844), then the
// other way round, each in a room of its own:
//
//   - the owner opens the room and sets its topic: it shows under the
//     room's name, for the owner and for whoever comes in;
//   - the owner sees what may be done beside the troublemaker's name and
//     on the troublemaker's message; the troublemaker sees neither, only
//     a way to report;
//   - the owner deletes the troublemaker's message: it goes from both
//     pages; then bans them, with a reason typed after the name;
//   - the troublemaker's page goes back to the join form and says why:
//     who banned them, until when, and the reason.
//
// It exits 0 after printing PASS, 1 with the reason on stderr otherwise.
// Environment: WSCHAT_URL (required), CHROMIUM, OUT_DIR.

import { WAIT, check, line, run, say, shot } from './lib.mjs';

const BASE = process.env.WSCHAT_URL;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

/** register opens a tab of the given size and registers name, going into room. */
async function register(ctx, size, name, room, problems) {
  const page = await ctx.newPage();
  await page.setViewportSize(size);
  page.on('pageerror', (err) => problems.push(`${name}: page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/WebSocket connection to|status of 40[01]/.test(msg.text())) problems.push(`${name}: console error: ${msg.text()}`);
  });
  // The tabs share the browser's storage: each logs in afresh, not as the
  // account the last one kept.
  await page.addInitScript(() => localStorage.removeItem('wschat.token'));
  await page.goto(BASE);
  await page.waitForSelector('#password-row:not([hidden])', { timeout: WAIT });
  await page.fill('#name', name);
  await page.fill('#password', 'a long enough password');
  await page.fill('#join-room', room);
  await page.click('#register');
  await page.waitForSelector('#chat-view:not([hidden])', { timeout: WAIT });
  await page.waitForSelector('#send:not([disabled])', { timeout: WAIT });
  return page;
}

/** seesText waits until the element sel's text contains want. */
const seesText = (page, sel, want) =>
  page.waitForFunction(([s, w]) => document.querySelector(s)?.textContent.includes(w), [sel, want], { timeout: WAIT });

/** side opens the lists beside the log, which fold away on a phone. */
async function side(page) {
  if (page.viewportSize().width < 600 && !(await page.isVisible('#online'))) await page.click('#side-toggle');
}

/** round: the owner at ownerSize, the troublemaker at tomSize, in a room of their own. */
async function round(ctx, label, ownerSize, tomSize, problems) {
  const room = `den-${label}`;
  const olga = `olga-${label}`;
  const tom = `tom-${label}`;
  const owner = await register(ctx, ownerSize, olga, room, problems);
  await seesText(owner, '#view-title', `# ${room}`);
  await say(owner, '/topic Tea, cakes and kindness');
  await owner.waitForSelector('#view-topic:not([hidden])', { timeout: WAIT });
  await seesText(owner, '#view-topic', 'Tea, cakes and kindness');
  await seesText(owner, '#log', `${olga} set the topic: Tea, cakes and kindness`);
  console.log(`${label}: the topic shows under the room's name`);

  const bad = await register(ctx, tomSize, tom, room, problems);
  await seesText(bad, '#view-topic', 'Tea, cakes and kindness');
  check(await bad.isVisible('#view-topic'), 'the newcomer does not see the topic');
  await say(bad, 'buy cheap pills');
  await line(owner, 'buy cheap pills').waitFor({ timeout: WAIT });

  // What the owner may do, beside the name and on the message; the
  // troublemaker has only a way to report.
  await side(owner);
  const acts = owner.locator('#online li', { hasText: tom }).locator('.person-acts button');
  await acts.first().waitFor({ timeout: WAIT });
  check(await acts.count() === 3, `the owner has ${await acts.count()} actions beside ${tom}`);
  await side(bad);
  await bad.locator('#online li', { hasText: olga }).waitFor({ timeout: WAIT });
  check(await bad.locator('.person-acts').count() === 0, 'the troublemaker has actions on people');
  await shot(owner, `mod-${label}-owner-actions`);
  await shot(bad, `mod-${label}-member`);
  if (await owner.isVisible('#side-toggle')) await owner.click('#side-toggle');
  if (await bad.isVisible('#side-toggle')) await bad.click('#side-toggle');

  await say(owner, 'welcome, be kind');
  const mine = line(bad, 'welcome, be kind');
  await mine.waitFor({ timeout: WAIT });
  await mine.locator('.who').click(); // a tap shows what may be done, hover or not
  check(await mine.locator('button[title="Report"]').isVisible(), 'the troublemaker cannot report a message');
  check(!(await mine.locator(`button[title="Delete ${olga}'s message"]`).isVisible()), 'the troublemaker may delete the owner\'s message');

  const theirs = line(owner, 'buy cheap pills');
  await theirs.locator('.who').click();
  await theirs.locator(`button[title="Delete ${tom}'s message"]`).click();
  await bad.waitForFunction(() => ![...document.querySelectorAll('#log li.msg .text')].some((t) => t.textContent === 'buy cheap pills'), null, { timeout: WAIT });
  console.log(`${label}: the owner deleted the troublemaker's message, on both pages`);

  // A ban, with a reason typed after the name the button puts in the box.
  await side(owner);
  await owner.locator('#online li', { hasText: tom }).locator('button', { hasText: 'Ban' }).click();
  check(await owner.inputValue('#text') === `/ban ${tom} `, `the box holds ${await owner.inputValue('#text')}`);
  await owner.type('#text', 'selling pills');
  await owner.press('#text', 'Enter');
  await seesText(owner, '#log', `${olga} banned ${tom} until lifted: selling pills`);
  await bad.waitForSelector('#join-view:not([hidden])', { timeout: WAIT });
  await seesText(bad, '#join-error', `you are banned from ${room} by ${olga} until the ban is lifted: selling pills`);
  await shot(bad, `mod-${label}-banned`);
  await shot(owner, `mod-${label}-owner-banned`);
  console.log(`${label}: the banned person sees who banned them, until when and why`);
  await owner.close();
  await bad.close();
}

async function scenario(ctx) {
  const problems = [];
  await round(ctx, 'desktop', DESKTOP, PHONE, problems);
  await round(ctx, 'phone', PHONE, DESKTOP, problems);
  if (problems.length > 0) throw new Error(`the pages reported problems:\n  ${problems.join('\n  ')}`);
}

if (!BASE) {
  console.error('WSCHAT_URL is not set');
  process.exit(1);
}
await run(scenario, DESKTOP);
