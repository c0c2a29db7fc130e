// Where the page keeps its outbox: what the person asked the chat to do
// and the server has not answered yet waits in the client library's
// outbox (/lib/outbox.js), each request with its client_id, and is kept
// here for the tab, under the name, so that it outlives a reload and
// goes once from the reloaded page. Leaving forgets it.

const STORED = 'wschat.outbox.'; // and the name: the requests waiting

/**
 * outboxStore is the store of name's outbox, as the library takes it
 * ({ load, save }). Once let go (a connection the page gave up), it
 * keeps what it had: the library refusing what waits does not erase it.
 */
export function outboxStore(name) {
  const key = STORED + name.toLowerCase();
  const store = {
    live: true,
    load: () => JSON.parse(sessionStorage.getItem(key) ?? '[]'),
    save(entries) {
      if (!store.live) return;
      try {
        if (entries.length === 0) sessionStorage.removeItem(key);
        else sessionStorage.setItem(key, JSON.stringify(entries));
      } catch {
        // Storage may be off or full: the outbox lasts as long as the page.
      }
    },
  };
  return store;
}

/** forgetOutbox forgets what name's outbox kept. */
export function forgetOutbox(name) {
  try {
    sessionStorage.removeItem(STORED + name.toLowerCase());
  } catch {
    // Nothing kept.
  }
}
