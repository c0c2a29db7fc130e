// End-to-end test of encryption in the page, run by TestBrowserE2EE in
// browser_e2ee_test.go, which serves the chat at WSCHAT_URL (and, on two
// nodes, bob's pages at WSCHAT_URL_B). alice and bob, each in a browser
// profile of their own, exchange encrypted private messages and files;
// bob reads what came while he was away (after a restart of the server
// with -data, when RESTART=1); both see the same safety number; a second
// device of bob's reads what is sealed after it appears, and alice is
// warned of it before her message goes; a tampered message shows as
// such; an encrypted room is read with its passphrase and not without.
// Every secret says "zanzibar", which the Go test then looks for in all
// the server keeps. It exits 0 after printing PASS, 1 with the reason on
// stderr otherwise.
//
// Environment: WSCHAT_URL (required), WSCHAT_URL_B (default WSCHAT_URL),
// RESTART (1: ask the test to restart the server), FILES (0: share no
// files), CHROMIUM, OUT_DIR.

import { chromium } from 'playwright-core';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CHROMIUM, OUT, WAIT, ask, check, run, say } from './lib.mjs';

const A = process.env.WSCHAT_URL;
const B = process.env.WSCHAT_URL_B || A;
const FILES = process.env.FILES !== '0';
const PASSWORD = 'correct horse battery';
const PASSPHRASE = 'purple elephant quietly sings';
const profiles = [];

/** profile opens a browser profile of its own: another device. */
async function profile() {
  const dir = await mkdtemp(path.join(tmpdir(), 'wschat-e2ee-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM, headless: true, acceptDownloads: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  profiles.push({ ctx, dir });
  return ctx;
}

/** watch fails the test on the page's errors. */
function watch(page, problems, who) {
  page.on('pageerror', (err) => problems.push(`${who}: page error: ${err.message}`));
}

/** enter opens the page at base in ctx and registers (or logs in as) name. */
async function enter(ctx, base, name, how, problems) {
  const page = await ctx.newPage();
  watch(page, problems, name);
  await page.goto(base);
  await page.waitForSelector('#password-row:not([hidden])', { timeout: WAIT });
  await page.fill('#name', name);
  await page.fill('#password', PASSWORD);
  await page.click(how === 'register' ? '#register' : '#login');
  await page.waitForSelector('#send:not([disabled])', { timeout: WAIT });
  return page;
}

/** waitFor waits until f(arg) is true in the page. */
const waitFor = (page, f, arg) => page.waitForFunction(f, arg, { timeout: WAIT });

/** sees waits until a line of the log says text. */
const sees = (page, text) => waitFor(page, (t) => [...document.querySelectorAll('#log li .text')].some((x) => x.textContent.includes(t)), text);

/** lacks checks no line of the log says text. */
async function lacks(page, text, what) {
  const all = await page.locator('#log li .text').allTextContents();
  check(!all.some((t) => t.includes(text)), what);
}

/** conversation opens the private conversation with name. */
async function conversation(page, name) {
  await waitFor(page, (n) => [...document.querySelectorAll('#convs button.item')].some((b) => b.textContent.startsWith(n)), name);
  await page.click(`#convs button.item >> text=/^${name}/`);
  await waitFor(page, (n) => document.getElementById('view-title').textContent.includes(n), name);
}

/** safetyNumber shows and reads the safety number of the conversation in view. */
async function safetyNumber(page) {
  await page.click('#e2ee-safety-toggle');
  await page.waitForSelector('#e2ee-safety-number', { timeout: WAIT });
  return page.textContent('#e2ee-safety-number');
}

/** download follows the link of the file called name and returns its bytes as text. */
async function download(page, name) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: WAIT }), page.click(`#log a.file >> text="${name}"`)]);
  check(dl.suggestedFilename() === name, `the download is called ${dl.suggestedFilename()}, not ${name}`);
  return readFile(await dl.path(), 'utf8');
}

/** share shares a text file called name from page, in the view in sight. */
async function share(page, name, content) {
  await page.setInputFiles('#file', { name, mimeType: 'text/plain', buffer: Buffer.from(content) });
}

/** goTo moves page to room. */
async function goTo(page, room) {
  await page.fill('#room-name', room);
  await page.press('#room-name', 'Enter');
  await waitFor(page, (r) => document.getElementById('view-title').textContent === `# ${r}`, room);
}

/** tamper sends, as alice from her page, a private message to bob sealed with her device key, one byte of its ciphertext changed. */
async function tamper(alice) {
  await alice.evaluate(async () => {
    const { sealPrivate } = await import('/seal/seal.js');
    const { get, keyOf } = await import('/e2ee/store.js');
    const { devicesOf } = await import('/e2ee/directory.js');
    const device = await get(keyOf('device', 'alice'));
    const sealed = await sealPrivate({
      text: 'zanzibar tampered text', sender: { name: 'alice', device, devices: [] },
      recipients: [{ name: 'bob', devices: await devicesOf('bob', true) }],
    });
    sealed.ct = (sealed.ct[0] === 'A' ? 'B' : 'A') + sealed.ct.slice(1);
    const token = localStorage.getItem('wschat.token');
    const ws = new WebSocket(`ws://${location.host}/ws/chat?format=json&token=${encodeURIComponent(token)}&room=side`);
    await new Promise((resolve, reject) => {
      ws.onmessage = (ev) => {
        const e = JSON.parse(ev.data);
        if (e.type === 'welcome') ws.send(JSON.stringify({ type: 'private', to: 'bob', sealed, client_id: 'tamper' }));
        if (e.client_id === 'tamper') {
          ws.close();
          if (e.type === 'private') resolve();
          else reject(new Error(`the tampered message was refused: ${ev.data}`));
        }
      };
      ws.onerror = () => reject(new Error('the socket failed'));
    });
  });
}

async function scenario(ctxA) {
  const problems = [];
  const ctxB = await profile();
  const alice = await enter(ctxA, A, 'alice', 'register', problems);
  let bob = await enter(ctxB, B, 'bob', 'register', problems);
  await waitFor(alice, () => document.getElementById('e2ee-bar') && !document.getElementById('e2ee-bar').hidden);

  // Private messages, both ways.
  await say(alice, '/msg bob zanzibar one: the eagle lands at noon');
  await conversation(bob, 'alice');
  await sees(bob, 'zanzibar one: the eagle lands at noon');
  await say(bob, 'zanzibar two: understood');
  await conversation(alice, 'bob');
  await sees(alice, 'zanzibar two: understood');
  check(await alice.textContent('#e2ee-state') === '🔒 End-to-end encrypted', `the conversation says ${await alice.textContent('#e2ee-state')}`);
  console.log('encrypted private messages went both ways');

  const na = await safetyNumber(alice);
  const nb = await safetyNumber(bob);
  check(/^(\d{5} ){11}\d{5}$/.test(na), `the safety number is ${na}`);
  check(na === nb, `the safety numbers differ: ${na} and ${nb}`);
  await alice.screenshot({ path: path.join(OUT, 'e2ee-safety.png') });
  console.log('both sides see the same safety number');

  // A file, encrypted in the browser (a node keeps the files it takes:
  // on two nodes, bob's page would ask the other).
  if (FILES) await share(alice, 'zanzibar-plan.txt', 'zanzibar file: the vault code is 4711');
  if (FILES) {
    await bob.waitForSelector('#log a.file >> text="zanzibar-plan.txt"', { timeout: WAIT });
    check(await download(bob, 'zanzibar-plan.txt') === 'zanzibar file: the vault code is 4711', 'the file bob opened is not the one alice shared');
    console.log('an encrypted file went from alice to bob');
  }

  // Mail for bob while he is away, across a restart.
  await bob.close();
  await say(alice, 'zanzibar three: while you were away');
  await sees(alice, 'zanzibar three: while you were away');
  if (process.env.RESTART === '1') {
    await ask('RESTART', 'RESTARTED');
    await alice.waitForSelector('#send:not([disabled])', { timeout: WAIT });
    console.log('the server restarted');
  }
  bob = await ctxB.newPage();
  watch(bob, problems, 'bob');
  await bob.goto(B);
  await bob.waitForSelector('#send:not([disabled])', { timeout: WAIT });
  await conversation(bob, 'alice');
  await sees(bob, 'zanzibar three: while you were away');
  await sees(bob, 'zanzibar one: the eagle lands at noon');
  console.log('bob read the mail kept for him, after coming back');

  // A second device of bob's: alice is warned before her message goes.
  const ctxC = await profile();
  const bob2 = await enter(ctxC, B, 'bob', 'login', problems);
  await say(alice, 'zanzibar four: for both devices');
  await alice.waitForSelector('#e2ee-warning:not([hidden])', { timeout: WAIT });
  check((await alice.textContent('#e2ee-warning')).includes("bob's keys changed"), 'the warning does not say whose keys changed');
  await alice.screenshot({ path: path.join(OUT, 'e2ee-key-changed.png') });
  await lacks(bob, 'zanzibar four', 'the message went before alice accepted the new keys');
  check(await safetyNumber(alice) !== na, 'the safety number did not change with a new device');
  await alice.click('#e2ee-accept');
  await sees(bob, 'zanzibar four: for both devices');
  await conversation(bob2, 'alice');
  await sees(bob2, 'zanzibar four: for both devices');
  await sees(bob2, 'not sealed for this device');
  console.log('a new device of bob\'s: alice was warned, then both devices read her message');

  // A tampered message.
  await tamper(alice);
  await sees(bob, 'could not be decrypted: it was altered on the way');
  await lacks(bob, 'zanzibar tampered', 'a tampered message showed its text');
  await bob.screenshot({ path: path.join(OUT, 'e2ee-tampered.png') });
  console.log('a tampered message shows as such');

  // An encrypted room.
  await goTo(alice, 'vault');
  await alice.click('#e2ee-room-lock');
  await alice.fill('#e2ee-passphrase', PASSPHRASE);
  await alice.click('#e2ee-passphrase-ok');
  await alice.waitForFunction(() => document.getElementById('e2ee-state')?.textContent.startsWith('🔒 Encrypted room'), null, { timeout: WAIT });
  await alice.waitForSelector('#send:not([disabled])', { timeout: WAIT });
  await say(alice, 'zanzibar five: room talk');
  await sees(alice, 'zanzibar five: room talk');
  await goTo(bob, 'vault');
  await sees(bob, "give the room's passphrase to read it");
  await lacks(bob, 'zanzibar five', 'the room message showed without the passphrase');
  await bob.waitForSelector('#e2ee-pass-form:not([hidden])', { timeout: WAIT });
  await bob.fill('#e2ee-passphrase', PASSPHRASE);
  await bob.click('#e2ee-passphrase-ok');
  await bob.waitForFunction(() => document.getElementById('e2ee-state')?.textContent.startsWith('🔒 Encrypted room'), null, { timeout: WAIT });
  await sees(bob, 'zanzibar five: room talk');
  if (FILES) {
    await share(alice, 'zanzibar-minutes.txt', 'zanzibar room file');
    await bob.waitForSelector('#log a.file >> text="zanzibar-minutes.txt"', { timeout: WAIT });
    check(await download(bob, 'zanzibar-minutes.txt') === 'zanzibar room file', 'the room file bob opened is not the one alice shared');
  }
  await bob.screenshot({ path: path.join(OUT, 'e2ee-room.png') });
  console.log(`an encrypted room: read with its passphrase, not without${FILES ? '; its files too' : ''}`);

  check(problems.length === 0, problems.join('\n'));
}

run(async (ctx) => {
  try {
    await scenario(ctx);
  } finally {
    for (const p of profiles) {
      await p.ctx.close();
      await rm(p.dir, { recursive: true, force: true });
    }
  }
});
