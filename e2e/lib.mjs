// What the browser test scripts share: checks, the line protocol with the
// Go test that runs them, Chromium with a fresh profile, and the page's
// parts every script uses (a screenshot, sending, a message line).

import { chromium } from 'playwright-core';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const OUT = path.resolve(process.env.OUT_DIR || '../test-output');
export const WAIT = 15_000; // the longest any one wait may take

let nextLine; // the Go test's answers on stdin, read when first asked for

/** check throws when cond is false. */
export function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

/** ask prints a request to the Go test and waits for its answer line. */
export async function ask(request, answer) {
  nextLine ??= createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  console.log(request);
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`no ${answer} within ${WAIT} ms`)), WAIT).unref());
  const { value, done } = await Promise.race([nextLine.next(), timeout]);
  if (done || value.trim() !== answer) {
    throw new Error(`asked ${request}, got ${done ? 'end of input' : JSON.stringify(value)}`);
  }
}

/**
 * run launches Chromium with a fresh profile at viewport, runs
 * scenario(ctx), cleans up, and exits: 0 after printing PASS, 1 with the
 * reason on stderr.
 */
export async function run(scenario, viewport) {
  try {
    await mkdir(OUT, { recursive: true });
    const profile = await mkdtemp(path.join(tmpdir(), 'wschat-e2e-'));
    let ctx;
    try {
      ctx = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
          '--disable-component-update', '--disable-sync', '--disable-quic'],
        viewport,
      });
      await scenario(ctx);
    } finally {
      await ctx?.close();
      await rm(profile, { recursive: true, force: true });
    }
    console.log('PASS');
    process.exit(0);
  } catch (err) {
    console.error(err?.stack || String(err));
    process.exit(1);
  }
}

/** shot saves a screenshot of the page into OUT. */
export async function shot(page, name) {
  await page.screenshot({ path: path.join(OUT, `${name}.png`) });
  console.log(`screenshot ${name}.png`);
}

/** say sends text from the page's box. */
export async function say(page, text) {
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
}

/** line returns a locator of the message line whose text contains text. */
export const line = (page, text) => page.locator('#log li.msg:not(.pending)', { has: page.locator('.text', { hasText: text }) });
