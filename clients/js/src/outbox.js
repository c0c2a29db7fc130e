// The outbox of a ChatClient: the requests that change something (a
// message, a private message, an edit, a deletion, a reaction), from the
// app's call until the server answers them, oldest first, each with its
// client_id. By default it lives as long as the client; given a store
// ({ load(), save(entries) }, the outbox option) it outlives it, so that
// what waits goes once from a new client too (a reloaded page): the
// server carries out a client_id once (docs/protocol.md, "Requests sent
// again").

/** The most requests waiting at once. */
export const MAX_OUTBOX = 200;

/** The request types that go through the outbox. */
export const OUTBOX_TYPES = new Set(['message', 'private', 'edit', 'delete', 'react']);

const none = () => {};

/** entryOf reads a stored entry, or returns null for one that does not read as a request of the outbox. */
function entryOf(e) {
  const r = e?.request;
  if (r === null || typeof r !== 'object' || !OUTBOX_TYPES.has(r.type) || typeof r.client_id !== 'string' || r.client_id === '') return null;
  return { request: r, tag: e.tag };
}

/** Outbox holds the requests of one client, and keeps them in store after each change. */
export class Outbox {
  /** @type {{ request: any, tag: unknown, resolve: Function, reject: Function, sent: boolean }[]} */
  items = [];
  #store;

  /** store is { load(): entries, save(entries) }, or null: memory alone. What it loads that does not read is dropped. */
  constructor(store) {
    this.#store = store ?? null;
    if (!this.#store) return;
    let kept = [];
    try {
      kept = this.#store.load() ?? [];
    } catch {
      kept = []; // nothing readable: nothing waits
    }
    const seen = new Set();
    for (const e of Array.isArray(kept) ? kept : []) {
      const entry = entryOf(e);
      if (!entry || seen.has(entry.request.client_id) || this.items.length >= MAX_OUTBOX) continue;
      seen.add(entry.request.client_id);
      this.items.push({ ...entry, resolve: none, reject: none, sent: false });
    }
  }

  get length() {
    return this.items.length;
  }

  /** add puts request (with its client_id) at the end, and returns its item. */
  add(request, tag, resolve, reject) {
    const item = { request, tag, resolve, reject, sent: false };
    this.items.push(item);
    this.#save();
    return item;
  }

  /** find returns the item whose client_id is cid, or undefined. */
  find(cid) {
    return this.items.find((x) => x.request.client_id === cid);
  }

  /** take removes the item whose client_id is cid, and returns it, or null. */
  take(cid) {
    const i = this.items.findIndex((x) => x.request.client_id === cid);
    if (i < 0) return null;
    const [item] = this.items.splice(i, 1);
    this.#save();
    return item;
  }

  /** entries is what waits, as the store keeps it. */
  entries() {
    return this.items.map(({ request, tag }) => (tag === undefined ? { request } : { request, tag }));
  }

  #save() {
    try {
      this.#store?.save(this.entries());
    } catch {
      // A store that is full or off: the outbox lasts as long as the client.
    }
  }
}
