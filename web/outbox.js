// The outbox: what the person asked the chat to do (a message, a private
// message, an edit, a deletion, a reaction), from pressing Enter until
// the server answers it. Every request carries a client_id the server
// echoes on the event that answers it, so the page knows what arrived:
// nothing the person wrote is lost while the server, a node or Redis is
// away. A request the server could not carry out for now (Redis away,
// the rate) waits and is sent again; one the connection lost before the
// answer is sent again once the page is back and has caught up, unless
// what it caught up with shows it arrived. The outbox outlives a reload
// of the tab.

import { newClientID } from '/lib/protocol.js';

const STORED = 'wschat.outbox.'; // and the name: a list of requests
const MAX_ITEMS = 200; // the most requests waiting at once

/** The requests waiting for an answer, oldest first. */
export const outbox = { items: [], name: '' };

/** clientID is a new client_id: the server carries out a request once for each (the library's, clients/js). */
export const clientID = newClientID;

/** add queues a request, naming the view it was written in and its text, to put back if it is refused; it returns the item, or null when too many wait. */
export function add(request, view, text = '') {
  if (outbox.items.length >= MAX_ITEMS) return null;
  const item = { request: { ...request, client_id: clientID() }, view, text, sent: false, li: null };
  outbox.items.push(item);
  save();
  return item;
}

/** find returns the item whose client_id is cid, or null. */
export function find(cid) {
  return outbox.items.find((i) => i.request.client_id === cid) ?? null;
}

/** settle takes the item whose client_id is cid out of the outbox, and returns it, or null. */
export function settle(cid) {
  const i = outbox.items.findIndex((x) => x.request.client_id === cid);
  if (i < 0) return null;
  const [item] = outbox.items.splice(i, 1);
  save();
  return item;
}

/** save keeps the outbox for the next visit. */
function save() {
  if (!outbox.name) return;
  try {
    const kept = outbox.items.map(({ request, view, text }) => ({ request, view, text }));
    if (kept.length === 0) sessionStorage.removeItem(STORED + outbox.name.toLowerCase());
    else sessionStorage.setItem(STORED + outbox.name.toLowerCase(), JSON.stringify(kept));
  } catch {
    // Storage may be off or full: the outbox lasts as long as the page.
  }
}

/** restore takes back what name's outbox held at the last visit. */
export function restore(name) {
  outbox.name = name;
  outbox.items = [];
  try {
    const kept = JSON.parse(sessionStorage.getItem(STORED + name.toLowerCase()) ?? '[]');
    if (!Array.isArray(kept)) return;
    for (const k of kept.slice(0, MAX_ITEMS)) {
      if (k && typeof k.request === 'object' && typeof k.request.client_id === 'string' && typeof k.view === 'string') {
        outbox.items.push({ request: k.request, view: k.view, text: typeof k.text === 'string' ? k.text : '', sent: false, li: null });
      }
    }
  } catch {
    // Nothing kept, or nothing readable.
  }
}

/** forget empties the outbox and what is kept of it. */
export function forget() {
  for (const item of outbox.items) item.li?.remove();
  outbox.items = [];
  save();
  outbox.name = '';
}
