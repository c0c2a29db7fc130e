// End-to-end test of the page on a server with built-in accounts, run by
// TestBrowserAccounts in browser_test.go, which serves the chat at
// WSCHAT_URL. A person registers and chats; the page remembers them
// across a reload; they log out; a wrong password is refused in words;
// the right one lets them in again; a link that carries someone else's
// token only offers to log in as them. It exits 0 after printing PASS, 1
// with the reason on stderr otherwise.
//
// Environment: WSCHAT_URL (required), CHROMIUM (default
// /usr/bin/chromium), OUT_DIR for screenshots (default ../test-output).

import path from 'node:path';
import { OUT, WAIT, check, run } from './lib.mjs';

const BASE = process.env.WSCHAT_URL;

/** text waits until the element sel's text contains want. */
async function seesText(page, sel, want) {
  await page.waitForFunction(([s, w]) => document.querySelector(s)?.textContent.includes(w), [sel, want], { timeout: WAIT });
}

async function scenario(ctx) {
  const problems = [];
  const page = await ctx.newPage();
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/Failed to load resource: the server responded with a status of 40[01] /.test(msg.text())) {
      problems.push(`console error: ${msg.text()}`);
    }
  });
  await page.goto(BASE);
  await page.waitForSelector('#password-row:not([hidden])', { timeout: WAIT });
  check(await page.isHidden('#join'), 'the plain Join button shows on a server with accounts');

  await page.fill('#name', 'gina');
  await page.fill('#password', 'short');
  await page.click('#register');
  await seesText(page, '#join-error', 'Could not register — password');
  console.log('a weak password is refused in words');

  await page.fill('#password', 'a long enough password');
  await page.click('#register');
  await page.waitForSelector('#chat-view:not([hidden])', { timeout: WAIT });
  await seesText(page, '#me-name', 'gina');
  check(await page.textContent('#leave') === 'Log out', 'the header offers to log out');
  await page.fill('#text', 'registered and in');
  await page.press('#text', 'Enter');
  await seesText(page, '#log', 'registered and in');
  await page.screenshot({ path: path.join(OUT, 'accounts-in.png') });
  console.log('registered, and chatting');

  await page.reload();
  await page.waitForSelector('#chat-view:not([hidden])', { timeout: WAIT });
  await seesText(page, '#me-name', 'gina');
  await seesText(page, '#log', 'registered and in'); // the room's history
  console.log('after a reload the page is still logged in');

  await page.click('#leave');
  await page.waitForSelector('#join-view:not([hidden])', { timeout: WAIT });
  await page.reload();
  await page.waitForSelector('#password-row:not([hidden])', { timeout: WAIT });
  check(await page.isVisible('#join-view'), 'after logging out and reloading, the page shows the login form');
  console.log('logged out, and still out after a reload');

  await page.fill('#name', 'gina');
  await page.fill('#password', 'not the password');
  await page.press('#password', 'Enter');
  await seesText(page, '#join-error', 'Could not log in — wrong name or password');
  await page.screenshot({ path: path.join(OUT, 'accounts-wrong-password.png') });
  await page.fill('#password', 'a long enough password');
  await page.press('#password', 'Enter');
  await page.waitForSelector('#chat-view:not([hidden])', { timeout: WAIT });
  console.log('a wrong password is refused; the right one logs in');

  // Mallory sends gina a link with mallory's own token in it.
  const resp = await fetch(new URL('api/register', BASE), {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'mallory', password: 'another long password' }),
  });
  const { token } = await resp.json();
  check(resp.status === 201 && typeof token === 'string', `registering mallory: ${resp.status}`);
  await page.goto(new URL(`?room=lobby#token=${token}`, BASE).href);
  await page.waitForSelector('#token-offer:not([hidden])', { timeout: WAIT });
  const offerText = await page.textContent('#token-offer-text');
  check(offerText.includes('mallory') && offerText.includes('gina'), `the offer says who is who: ${offerText}`);
  check(!(await page.evaluate(() => location.hash.includes('token'))), 'the token is left in the address');
  await page.screenshot({ path: path.join(OUT, 'accounts-token-offer.png') });
  await page.click('#token-decline');
  await page.waitForSelector('#chat-view:not([hidden])', { timeout: WAIT });
  await seesText(page, '#me-name', 'gina');
  await page.reload();
  await page.waitForSelector('#chat-view:not([hidden])', { timeout: WAIT });
  await seesText(page, '#me-name', 'gina');
  console.log('a link with another account\'s token changes nothing unless taken');
  // The link opened in a tab of its own, as a link from elsewhere is.
  const tab = await ctx.newPage();
  await tab.goto(new URL(`#token=${token}`, BASE).href);
  await tab.waitForSelector('#token-offer:not([hidden])', { timeout: WAIT });
  await tab.click('#token-accept');
  await tab.waitForSelector('#chat-view:not([hidden])', { timeout: WAIT });
  await seesText(tab, '#me-name', 'mallory');
  console.log('taken at the person\'s word, it logs in as its owner');
  if (problems.length > 0) throw new Error(`the page reported problems:\n  ${problems.join('\n  ')}`);
}

if (!BASE) {
  console.error('WSCHAT_URL is not set');
  process.exit(1);
}
await run(scenario, { width: 1280, height: 800 });
