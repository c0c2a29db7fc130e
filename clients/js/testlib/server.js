// A real wschat server for the client's tests: the binary named by
// $WSCHAT, or one built from the repository with go, started on a free
// loopback port. Without either the tests skip, unless CI=true, where
// they fail.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
let built = '';

/** binary returns the path of a wschat binary, or '' with why in skip. */
export function binary() {
  if (process.env.WSCHAT) return process.env.WSCHAT;
  if (built) return built;
  const dir = mkdtempSync(join(tmpdir(), 'wschat-js-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  try {
    execFileSync('go', ['build', '-o', join(dir, 'wschat'), '.'], { cwd: repo, stdio: 'inherit' });
  } catch (e) {
    if (process.env.CI === 'true') throw e;
    return '';
  }
  built = join(dir, 'wschat');
  return built;
}

/** skipWithoutServer is a test option: skip where no binary can be had, but never under CI=true. */
export function skipWithoutServer() {
  return binary() === '' ? 'no wschat binary: set WSCHAT or install go' : false;
}

/** tempDir returns a directory removed when the process ends. */
export function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'wschat-js-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** secretFile writes an HS256 key for -jwt-key and returns its path and the key. */
export function secretFile() {
  const key = 'the client tests\u2019 token key, 32 bytes or more';
  const path = join(tempDir(), 'key');
  writeFileSync(path, key, { mode: 0o600 });
  return { path, key };
}

/**
 * Server is a running wschat. start waits for its "listening" line;
 * restart stops it and starts it again on the same port, with the same
 * flags.
 */
export class Server {
  constructor(args = []) {
    this.args = args;
    this.port = 0;
    this.proc = null;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    const args = ['-addr', `127.0.0.1:${this.port}`, '-metrics-addr', 'off', '-rate', '0', ...this.args];
    const proc = spawn(binary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.on('exit', resolve));
    let out = '';
    await new Promise((resolve, reject) => {
      const read = (chunk) => {
        out += chunk;
        const m = /msg="wschat listening" addr=127\.0\.0\.1:(\d+)/.exec(out);
        if (m) {
          this.port = Number(m[1]);
          resolve();
        }
      };
      proc.stdout.on('data', read);
      proc.stderr.on('data', read);
      proc.on('exit', (code) => reject(new Error(`wschat exited (${code}) before listening: ${out}`)));
    });
    return this;
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    this.proc.kill('SIGTERM');
    await this.exited;
  }

  async restart() {
    await this.stop();
    await this.start();
  }
}

/** startServer starts a wschat with args and stops it when the test ends. */
export async function startServer(t, args = []) {
  const s = await new Server(args).start();
  t.after(() => s.stop());
  return s;
}

export { existsSync };

/** startRedis starts a redis-server on a free loopback port for the test, or returns '' where there is none (failing under CI=true). */
export async function startRedis(t) {
  const net = await import('node:net');
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const ready = await new Promise((resolve) => {
    let out = '';
    proc.on('error', () => resolve(false));
    proc.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Ready to accept connections')) resolve(true);
    });
    proc.on('exit', () => resolve(false));
  });
  if (!ready) {
    if (process.env.CI === 'true') throw new Error('redis-server did not start');
    return '';
  }
  t.after(() => proc.kill());
  return `redis://127.0.0.1:${port}/0`;
}
