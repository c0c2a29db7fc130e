// End-to-end test of the page on two nodes sharing Redis, run by
// TestBrowserNodes in browser_expect_test.go. Node A is at NODE_A, node B
// at NODE_B; the Go test has put "alice" in the room "go" on node A, and
// runs a server at ORIGINS_URL that takes connections only from pages at
// chat.example. At a desktop's size (1280×800) and a phone's (390×844):
//
//   - a page on node B that opens "go" lists alice, who was there first,
//     and counts her;
//   - while Redis is away (REDIS_STOP, answered REDIS_STOPPED) a message
//     stays on the page, marked as not sent yet, the status says why and
//     the log says so once; when Redis is back (REDIS_START, REDIS_STARTED)
//     it goes, and the status says Connected;
//   - a room the page visited counts the messages said since, after it
//     emptied and opened again (DAVE_TEA, DAVE_TEA_AGAIN); a room it never
//     visited counts those said since it was first listed (DAVE_CAKE);
//   - a page at a host -origins does not list says so;
//   - once node B stops (STOP_B), the people list says it is offline on
//     one line.
//
// It exits 0 after printing PASS, 1 with the reason on stderr otherwise.

import { WAIT, ask, check, run, shot } from './lib.mjs';

const NODE_A = process.env.NODE_A;
const NODE_B = process.env.NODE_B;
const ORIGINS_URL = process.env.ORIGINS_URL;
const SIZES = [
  { label: 'desktop', size: { width: 1280, height: 800 } },
  { label: 'phone', size: { width: 390, height: 844 } },
];

/** open joins as name at url in a new tab of the given size. */
async function open(ctx, size, url, name, problems) {
  const page = await ctx.newPage();
  await page.setViewportSize(size);
  page.on('pageerror', (err) => problems.push(`${name}: page error: ${err.message}`));
  await page.goto(url);
  await page.fill('#name', name);
  await page.press('#name', 'Enter');
  return page;
}

/** joined waits until the page can send. */
const joined = (page) => page.waitForSelector('#send:not([disabled])', { timeout: WAIT });

/** waitFor waits until fn(arg) is true in the page. */
const waitFor = (page, fn, arg) => page.waitForFunction(fn, arg, { timeout: WAIT });

/** side opens the rooms and people on a phone, runs fn, and closes them if they are still open. */
async function side(page, label, fn) {
  if (label === 'phone' && !(await page.locator('#side.open').count())) await page.click('#side-toggle');
  await fn();
  if (label === 'phone' && (await page.locator('#side.open').count())) await page.click('#side-toggle');
}

/** refresh asks for the room list now, as coming back to the tab does. */
async function refresh(page) {
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
}

/**
 * badge waits until the unread badge of the room reads want, asking for
 * the room list again and again: up to 60 times, as a loaded machine may
 * take a while to answer.
 */
async function badge(page, room, want) {
  for (let i = 0; i < 60; i++) {
    await refresh(page);
    const got = await page.evaluate((r) => {
      const li = [...document.querySelectorAll('#rooms li')].find((x) => x.querySelector('button.item')?.textContent === `# ${r}`);
      return li?.querySelector('.unread')?.textContent ?? '';
    }, room);
    if (got === want) return;
    await page.waitForTimeout(500);
  }
  throw new Error(`the badge of ${room} never read ${want}`);
}

/**
 * people: a page on node B lists who was in the room on node A, whether
 * it opened the room from a link or moved there from the lobby. want is
 * how many are in the room by then.
 */
async function people(ctx, label, size, problems, want) {
  const fromLink = label === 'desktop';
  const page = await open(ctx, size, fromLink ? `${NODE_B}?room=go` : NODE_B, `bob-${label}`, problems);
  await joined(page);
  await side(page, label, async () => {
    if (!fromLink) {
      await waitFor(page, () => [...document.querySelectorAll('#rooms button.item')].some((b) => b.textContent === '# go'));
      await page.click('#rooms button.item >> text="# go"');
      await waitFor(page, () => document.getElementById('view-title').textContent === '# go');
    }
    await waitFor(page, () => [...document.querySelectorAll('#online li')].some((li) => li.textContent.startsWith('alice')));
    check(await page.textContent('#online-count') === String(want), `"In go" counts ${await page.textContent('#online-count')}, want ${want}`);
    await shot(page, `nodes-${label}-people`);
  });
  console.log(`${label}: a page on node B that ${fromLink ? 'opened go from a link' : 'moved to go from the lobby'} lists alice, in go on node A, and counts ${want}`);
  return page;
}

/** redisAway: a message sent while Redis is away waits on the page, and goes once it is back. */
async function redisAway(pages) {
  await ask('REDIS_STOP', 'REDIS_STOPPED');
  for (const { label, page } of pages) {
    const text = `sent while Redis was away, from the ${label}`;
    await page.fill('#text', text);
    await page.press('#text', 'Enter');
    await waitFor(page, (t) => [...document.querySelectorAll('#log li.msg.pending')].some((li) => li.querySelector('.text').textContent === t
      && li.querySelector('.pending-note').textContent.startsWith('Not sent yet')), text);
    await waitFor(page, () => document.getElementById('status').textContent.startsWith('Connected, but the chat cannot reach its other servers'));
    await page.waitForTimeout(7000); // two retries
    const told = (await page.locator('#log li.notice .text').allTextContents()).filter((t) => t.startsWith('Not sent yet')).length;
    check(told === 1, `the log said ${told} times that the message was not sent`);
    await shot(page, `nodes-${label}-redis-away`);
  }
  console.log('Redis away: the messages wait on the pages, said once, and the status says why');
  await ask('REDIS_START', 'REDIS_STARTED');
  for (const { label, page } of pages) {
    for (const from of SIZES) {
      const text = `sent while Redis was away, from the ${from.label}`;
      await page.waitForFunction((t) => [...document.querySelectorAll('#log li.msg:not(.pending) .text')].some((el) => el.textContent === t),
        text, { timeout: 30_000 });
    }
    check(!(await page.locator('#log li.msg.pending').count()), `${label}: a message is still pending`);
    await waitFor(page, () => document.getElementById('status').textContent === 'Connected');
  }
  console.log('Redis back: both messages went, once each, and the status says Connected');
}

/** unread: rooms count what came since the page saw them, whether they emptied meanwhile or were never visited. */
async function unread(ctx, label, size, problems) {
  const page = await open(ctx, size, NODE_A, `carol-${label}`, problems);
  await joined(page);
  await ask(`DAVE_TEA ${label}`, 'DAVE_IN_TEA');
  await side(page, label, async () => {
    await page.fill('#room-name', `tea-${label}`);
    await page.press('#room-name', 'Enter');
  });
  await waitFor(page, (r) => document.getElementById('view-title').textContent === `# ${r}`, `tea-${label}`);
  await page.waitForFunction(() => document.querySelectorAll('#log li.msg').length === 1, null, { timeout: WAIT });
  await side(page, label, async () => {
    await page.fill('#room-name', 'lobby');
    await page.press('#room-name', 'Enter');
  });
  await waitFor(page, () => document.getElementById('view-title').textContent === '# lobby');
  await ask(`DAVE_TEA_AGAIN ${label}`, 'DAVE_SAID_THREE');
  await side(page, label, async () => {
    await badge(page, `tea-${label}`, '3');
  });
  console.log(`${label}: a room that emptied and opened again counts its 3 new messages`);

  await ask(`DAVE_CAKE_JOIN ${label}`, 'DAVE_IN_CAKE');
  await side(page, label, async () => {
    for (let i = 0; i < 20 && !(await page.locator('#rooms button.item', { hasText: `# cake-${label}` }).count()); i++) {
      await refresh(page);
      await page.waitForTimeout(300);
    }
  });
  await ask(`DAVE_CAKE_SAY ${label}`, 'DAVE_SAID_TWO');
  await side(page, label, async () => {
    await badge(page, `cake-${label}`, '2');
    await shot(page, `nodes-${label}-unread`);
  });
  console.log(`${label}: a room never visited counts the 2 messages said since it was listed`);
  await page.close();
}

/** origins: a page at a host -origins does not list says why it cannot connect. */
async function origins(ctx, label, size, problems) {
  const page = await open(ctx, size, ORIGINS_URL, `erin-${label}`, problems);
  await waitFor(page, () => document.getElementById('join-error').textContent.includes('This server takes connections only from pages at chat.example'));
  await shot(page, `nodes-${label}-origins`);
  console.log(`${label}: a page at a host -origins does not list says so: ${await page.textContent('#join-error')}`);
  await page.close();
}

/** offlineOneLine: with node B gone, the people list says it is offline, on one line at a desktop's size. */
async function offlineOneLine(pages) {
  await ask('STOP_B', 'STOPPED_B');
  for (const { label, page } of pages) {
    await page.waitForSelector('#online.offline', { state: 'attached', timeout: WAIT });
    await side(page, label, async () => {
      const lines = await page.evaluate(() => {
        const c = document.getElementById('online-count');
        const h = parseFloat(getComputedStyle(c).lineHeight) || c.getBoundingClientRect().height;
        return Math.round(c.getBoundingClientRect().height / h);
      });
      check(lines === 1, `${label}: the offline badge takes ${lines} lines`);
      await shot(page, `nodes-${label}-offline`);
    });
  }
  console.log('node B gone: the people list says it is offline, on one line');
}

async function scenario(ctx) {
  const problems = [];
  const pages = [];
  for (const { label, size } of SIZES) pages.push({ label, page: await people(ctx, label, size, problems, pages.length + 2) });
  await redisAway(pages);
  for (const { label, size } of SIZES) await unread(ctx, label, size, problems);
  for (const { label, size } of SIZES) await origins(ctx, label, size, problems);
  await offlineOneLine(pages);
  if (problems.length > 0) throw new Error(`the pages reported problems:\n  ${problems.join('\n  ')}`);
}

if (!NODE_A || !NODE_B || !ORIGINS_URL) {
  console.error('NODE_A, NODE_B or ORIGINS_URL is not set');
  process.exit(1);
}
await run(scenario, SIZES[0].size);
