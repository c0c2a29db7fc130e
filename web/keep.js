// What the page keeps through a reload when the server has no accounts:
// the name joined under, and the private conversations, which the server
// keeps nowhere then. They are kept for the tab alone (sessionStorage):
// another tab may join under another name, and nobody who joins under
// the same name later, on the same computer, reads them. Leaving forgets
// them. With accounts the server keeps both (the token, and the mailbox).

const NAME = 'wschat.name';
const CONVS = 'wschat.private.'; // and the name: the conversations
const MAX_CONVS = 20; // conversations kept, the most recent first
const MAX_KEPT = 200; // messages kept of each

/** keepName remembers the name and room joined under. */
export function keepName(name, room) {
  try {
    sessionStorage.setItem(NAME, JSON.stringify({ name, room }));
  } catch {
    // Storage may be off: nothing is kept.
  }
}

/** keptName returns the name and room last joined under, or null. */
export function keptName() {
  try {
    const k = JSON.parse(sessionStorage.getItem(NAME) ?? 'null');
    if (k && typeof k.name === 'string' && k.name !== '') return { name: k.name, room: typeof k.room === 'string' ? k.room : '' };
  } catch {
    // Nothing readable.
  }
  return null;
}

/** keepConversations keeps name's private conversations: for each, who with, and its last messages. */
export function keepConversations(name, convs) {
  try {
    const kept = convs.slice(0, MAX_CONVS).map((c) => ({ with: c.with, msgs: c.msgs.slice(-MAX_KEPT) }));
    sessionStorage.setItem(CONVS + name.toLowerCase(), JSON.stringify(kept));
  } catch {
    // Storage may be off or full: they last as long as the page.
  }
}

/** keptConversations returns name's private conversations kept at the last visit. */
export function keptConversations(name) {
  try {
    const kept = JSON.parse(sessionStorage.getItem(CONVS + name.toLowerCase()) ?? '[]');
    if (!Array.isArray(kept)) return [];
    return kept.filter((c) => c && typeof c.with === 'string' && Array.isArray(c.msgs)).slice(0, MAX_CONVS).map((c) => ({
      with: c.with,
      msgs: c.msgs.filter((m) => m && typeof m.name === 'string' && typeof m.text === 'string').slice(-MAX_KEPT),
    }));
  } catch {
    return [];
  }
}

/** forgetKept forgets the name and name's conversations. */
export function forgetKept(name) {
  try {
    sessionStorage.removeItem(NAME);
    if (name) sessionStorage.removeItem(CONVS + name.toLowerCase());
  } catch {
    // Nothing to forget.
  }
}
