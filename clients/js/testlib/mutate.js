// Seeded random mutations of a sealed object, for the fuzz-like tests:
// the same seed gives the same mutations, so a failure can be replayed.

/** REASONS are all the reasons an open may give. */
export const REASONS = ['not-for-this-device', 'unknown-sender-key', 'tampered', 'unsupported-version', 'malformed',
  'wrong-passphrase'];

const CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ é\u0000\ud800';
const JUNK = [null, 0, -1, 1.5, 1e308, '', 'x'.repeat(100000), [], {}, true, [[]], { kid: 1 }];

/** rng is mulberry32: a small seeded generator of numbers in [0, 1). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** paths lists where the strings and values of a JSON value are, as key paths. */
function paths(v, prefix = []) {
  if (typeof v !== 'object' || v === null) return [prefix];
  return [prefix, ...Object.keys(v).flatMap((k) => paths(v[k], [...prefix, k]))];
}

function get(v, path) {
  return path.reduce((o, k) => o[k], v);
}

function set(v, path, value) {
  if (path.length === 0) return value;
  const parent = get(v, path.slice(0, -1));
  parent[path.at(-1)] = value;
  return v;
}

/** mutations yields count mutated copies of sealed, each with what was done to it. */
export function* mutations(sealed, count, seed) {
  const r = rng(seed);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  for (let i = 0; i < count; i++) {
    const v = structuredClone(sealed);
    const path = pick(paths(v));
    const old = get(v, path);
    const where = path.join('.') || '(root)';
    const kind = Math.floor(r() * 6);
    if (kind === 0 && typeof old === 'string' && old.length > 0) {
      const at = Math.floor(r() * old.length);
      yield { what: `#${i} char ${at} of ${where}`, value: set(v, path, old.slice(0, at) + pick(CHARS) + old.slice(at + 1)) };
    } else if (kind === 1 && typeof old === 'string') {
      yield { what: `#${i} truncate ${where}`, value: set(v, path, old.slice(0, Math.floor(r() * old.length))) };
    } else if (kind === 2 && path.length > 0) {
      const parent = get(v, path.slice(0, -1));
      if (Array.isArray(parent)) parent.splice(path.at(-1), 1);
      else delete parent[path.at(-1)];
      yield { what: `#${i} delete ${where}`, value: v };
    } else if (kind === 3 && Array.isArray(old) && old.length > 0) {
      old.push(structuredClone(pick(old)));
      yield { what: `#${i} repeat an item of ${where}`, value: v };
    } else if (kind === 4) {
      yield { what: `#${i} v = ${i}`, value: { ...v, v: i % 3 === 0 ? 1 : i } };
    } else {
      const junk = pick(JUNK);
      yield { what: `#${i} ${where} = ${JSON.stringify(junk).slice(0, 20)}`, value: set(v, path, structuredClone(junk)) };
    }
  }
}
