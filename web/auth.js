// Who the person is, when the server asks: built-in accounts (log in or
// register, and the page keeps the token across reloads and renews it
// before it runs out), or a token from another service, handed to the
// page as #token=... in its address. The client library renews a
// built-in account's token before it runs out (renew), and the page
// keeps each new one. A token in the address is only
// offered: the person decides whether to continue as whoever it names, so
// that a link nobody checked cannot change who is logged in.

import { login, register, renewToken } from '/lib/http.js';

const STORED = 'wschat.token'; // where the token is kept between visits
const MIN_LEFT_MS = 10 * 1000; // a kept token with less left is not used

/** How this server lets people in, from /api/config, and the token in use. */
export const auth = {
  mode: 'none', // 'none': any name; 'accounts': log in or register; 'token': from another service
  signup: false, // anyone may register
  maxMessage: 65536, // the longest message, in bytes
  maxFile: 10 << 20, // the largest file, in bytes
  origins: [], // the hosts pages may connect from; none: any
  token: '',
  name: '',
  expires: 0, // ms since the epoch
  offered: '', // a token from the address, not taken until the person says so
};

/** loadConfig asks the server how it lets people in. */
export async function loadConfig() {
  try {
    const resp = await fetch('/api/config', { cache: 'no-store' });
    const c = await resp.json();
    if (['none', 'accounts', 'token'].includes(c.auth)) auth.mode = c.auth;
    auth.signup = c.signup === true;
    if (Number.isInteger(c.maxMessage) && c.maxMessage > 0) auth.maxMessage = c.maxMessage;
    if (Number.isInteger(c.maxFile) && c.maxFile > 0) auth.maxFile = c.maxFile;
    if (Array.isArray(c.origins)) auth.origins = c.origins.filter((o) => typeof o === 'string');
  } catch {
    // An older or unreachable server: the open chat, as before.
  }
}

/** claims reads a token's sub and exp, to know whose it is and when it runs out; the server checks it. */
function claims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const c = JSON.parse(atob(part));
    return { name: typeof c.sub === 'string' ? c.sub : '', expires: Number(c.exp) * 1000 || 0 };
  } catch {
    return { name: '', expires: 0 };
  }
}

/** use takes token as the one to connect with, and keeps it for the next visit. */
export function use(token) {
  const c = claims(token);
  Object.assign(auth, { token, name: c.name, expires: c.expires });
  try {
    localStorage.setItem(STORED, token);
  } catch {
    // Storage may be off: the token lasts as long as the page.
  }
}

/**
 * offeredName takes a token from the address (#token=...) off it and
 * keeps it as offered; it returns the name the token is for, or ''.
 */
export function offeredName() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (!fromHash) return '';
  history.replaceState(null, '', location.pathname + location.search);
  const { name, expires } = claims(fromHash);
  if (!name || expires < Date.now()) return '';
  auth.offered = fromHash;
  return name;
}

/** takeOffered takes the offered token, at the person's word. */
export function takeOffered() {
  use(auth.offered);
  auth.offered = '';
}

/** restore takes the token from the last visit, if it is still good. */
export function restore() {
  let token = '';
  try {
    token = localStorage.getItem(STORED) ?? '';
  } catch {
    return false;
  }
  if (!token || claims(token).expires < Date.now() + MIN_LEFT_MS) return false;
  use(token);
  return true;
}

/** forget drops the token, here and for later visits. */
export function forget() {
  Object.assign(auth, { token: '', name: '', expires: 0 });
  try {
    localStorage.removeItem(STORED);
  } catch {
    // Nothing kept.
  }
}

/**
 * enter logs in or registers (path /api/login or /api/register, through
 * the client library) and takes the token; it returns '' or the reason
 * it could not, in words.
 */
export async function enter(path, name, password) {
  const how = path === '/api/register' ? register : login;
  try {
    use((await how(location.origin, name, password)).token);
    return '';
  } catch (e) {
    if (e.code === 'network') return 'the server could not be reached';
    return e.message || `the server answered ${e.status}`;
  }
}

/**
 * renewal is how the client library renews the token: a built-in
 * account's through POST /api/token; a token from another service is not
 * renewed here (null), and the person logs in again once it runs out.
 */
export function renewal() {
  if (auth.mode !== 'accounts') return null;
  return async (token) => (await renewToken(location.origin, token)).token;
}
