// Finding messages: the room's older messages, a page at a time, above
// what the log shows (the button at its top, or scrolling up to it), and
// searching the room, whose results lead to the message they found,
// reading older pages until it is in the log.

import { ui } from './view.js';
import { session, sendJSON, ready } from './session.js';
import { el, noticeLine, snippet, timeStamp } from './lines.js';
import { append, flash, log, older, olderButton, prepend, remember, showOlder, view } from './log.js';
import { newClientID } from '/lib/protocol.js';
import { lineOf, messageOf } from './messages.js';

const PAGE = 50; // messages asked for at a time
const MAX_JUMP_PAGES = 40; // pages read at most to reach a search result

/** The requests on their way, by client_id: what to do with the answer. */
const waiting = new Map();

/** ask sends a request and returns a promise of its answer (an error event too), or null if it could not go. */
function ask(req) {
  if (!ready()) return null;
  const cid = newClientID();
  return new Promise((resolve) => {
    waiting.set(cid, resolve);
    if (!sendJSON({ ...req, client_id: cid })) {
      waiting.delete(cid);
      resolve(null);
    }
  });
}

/** answered hands an answer to the request it answers, and reports whether there was one. */
export function answered(ev) {
  const resolve = waiting.get(ev.client_id);
  if (!resolve) return false;
  waiting.delete(ev.client_id);
  resolve(ev);
  return true;
}

/** dropRequests gives up on the requests on their way: the connection is gone. */
export function dropRequests() {
  for (const resolve of waiting.values()) resolve(null);
  waiting.clear();
}

/** loadOlder reads the page of the room's messages before the oldest the log shows, and shows it; it reports whether it could. */
export async function loadOlder() {
  const v = view('room', session.room);
  if (v.loading || !v.more) return false;
  v.loading = true;
  showOlder(v);
  const req = { type: 'history', limit: PAGE };
  const before = v.cursor || v.oldestID;
  if (before) req.before = before;
  const ev = await ask(req);
  v.loading = false;
  if (!ev || ev.type !== 'history' || ev.room?.toLowerCase() !== v.name.toLowerCase()) {
    if (ev?.type === 'error') append(v, noticeLine(`Older messages could not be read: ${ev.text}`), '');
    showOlder(v);
    return false;
  }
  const items = [];
  for (const e of Array.isArray(ev.messages) ? ev.messages : []) {
    const m = messageOf(e);
    if (!m || !m.id || v.msgs.has(m.id)) continue;
    items.push({ li: lineOf(v, m), at: m.time });
    remember(v, m.id);
    v.msgs.set(m.id, m);
  }
  prepend(v, items);
  v.more = ev.more === true;
  v.cursor = typeof ev.before === 'string' ? ev.before : '';
  showOlder(v);
  return true;
}

/** jumpTo shows the room's message id, reading older pages until the log has it. */
async function jumpTo(id) {
  const v = view('room', session.room);
  for (let i = 0; i < MAX_JUMP_PAGES && !v.msgs.has(id) && v.more; i++) {
    if (!(await loadOlder())) break;
  }
  const m = v.msgs.get(id);
  if (m) flash(m.li);
  else append(v, noticeLine('That message is no longer in what the room keeps'), '');
}

/** search asks for the room's messages that say text, from before (the newest if none). */
async function search(text, before = '') {
  const req = { type: 'search', text };
  if (before) req.before = before;
  ui.searchSays.textContent = 'Searching…';
  if (!before) ui.searchResults.replaceChildren();
  const ev = await ask(req);
  if (!ev) {
    ui.searchSays.textContent = 'Not connected: search once the connection is back';
    return;
  }
  if (ev.type === 'error') {
    ui.searchSays.textContent = ev.text;
    return;
  }
  ui.searchResults.querySelector('.more-results')?.remove();
  const found = Array.isArray(ev.messages) ? ev.messages.map(messageOf).filter((m) => m?.id) : [];
  for (const m of found.reverse()) ui.searchResults.append(result(m));
  const n = ui.searchResults.querySelectorAll('.result').length;
  ui.searchSays.textContent = `${n === 0 ? 'No message' : n === 1 ? 'One message' : `${n} messages`} in ${session.room} ${n === 1 ? 'says' : 'say'} “${text}”${ev.partial ? ' (the newest part of the history was searched: a search reads so much at most)' : ''}`;
  if (ev.more && typeof ev.before === 'string') {
    const li = el('li', 'more-results');
    const b = el('button', 'link', 'Older results');
    b.type = 'button';
    b.addEventListener('click', () => search(text, ev.before));
    li.append(b);
    ui.searchResults.append(li);
  }
}

/** result is one message a search found: choosing it shows it in the log. */
function result(m) {
  const li = el('li', 'result');
  const b = el('button', 'result-button');
  b.type = 'button';
  b.append(el('span', 'who', m.name), el('span', 'result-text', snippet(m.file ? m.file.name : m.text, 120)), timeStamp(m.time));
  b.addEventListener('click', () => {
    closeSearch();
    jumpTo(m.id);
  });
  li.append(b);
  return li;
}

/** openSearch shows the search of the room. */
function openSearch() {
  ui.searchPanel.hidden = false;
  ui.searchToggle.setAttribute('aria-expanded', 'true');
  ui.searchText.focus();
}

/** closeSearch hides it. */
export function closeSearch() {
  ui.searchPanel.hidden = true;
  ui.searchToggle.setAttribute('aria-expanded', 'false');
}

/** setUpFinder wires the older messages' button, scrolling up to it, and the search. */
export function setUpFinder() {
  olderButton.addEventListener('click', () => loadOlder());
  ui.log.addEventListener('scroll', () => {
    const v = log.views.get(log.current);
    if (v?.kind === 'room' && !log.atEnd && ui.log.scrollTop < older.offsetHeight + 8) loadOlder();
  });
  ui.searchToggle.addEventListener('click', () => (ui.searchPanel.hidden ? openSearch() : closeSearch()));
  ui.searchClose.addEventListener('click', closeSearch);
  ui.searchForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = ui.searchText.value.trim();
    if (text) search(text);
  });
  ui.searchText.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') closeSearch();
  });
}
