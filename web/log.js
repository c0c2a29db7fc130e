// The views of the log: the room, and each private conversation. A view
// keeps its lines (a day's first line starts with the day), the messages
// it shows by id, to apply edits, deletions and reactions to them and to
// show a replayed one once, and what is unread in it.

import { ui } from './view.js';
import { dayLine, dayOf, el } from './lines.js';

const MAX_LINES = 3000; // older lines of a view are dropped past this
const MAX_IDS = 5000; // ids a view remembers, to show a replayed message once

/** The views, by key; the one in the log; whether the log shows its end. */
export const log = {
  views: new Map(),
  current: '',
  atEnd: true,
  height: 0, // the log's height when last laid out
};

/** The first line of a room's view: how to read its older messages. */
export const older = el('li', 'older');
export const olderButton = el('button', 'link', 'Show older messages');
olderButton.type = 'button';
older.append(olderButton);

export const key = (kind, name) => `${kind}:${name.toLowerCase()}`;

/** view returns the view of a room or a private conversation, making it if new. */
export function view(kind, name) {
  const k = key(kind, name);
  let v = log.views.get(k);
  if (!v) {
    v = {
      kind, name, key: k, lines: [], unread: 0, mentioned: false, ids: new Set(), msgs: new Map(),
      lastID: '', oldestID: '', more: true, loading: false,
    };
    log.views.set(k, v);
  }
  return v;
}

/** shown reports whether v is in the log. */
export const shown = (v) => v.key === log.current;

/** remember notes a message id a view shows: the latest, to ask what came after it, and the oldest, to ask what came before. */
export function remember(v, id) {
  v.ids.add(id);
  if (!v.lastID || idLess(v.lastID, id)) v.lastID = id;
  if (!v.oldestID || idLess(id, v.oldestID)) v.oldestID = id;
  if (v.ids.size > MAX_IDS) v.ids.delete(v.ids.values().next().value);
}

/** idLess orders message ids, MILLISECONDS-COUNT. */
export function idLess(a, b) {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  return am < bm || (am === bm && as < bs);
}

/** lastDay is the day of the last dated line of lines. */
function lastDay(lines) {
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i].dataset.day) return lines[i].dataset.day;
  return '';
}

/** append adds li, said at at, to the end of v, after the line of its day if it starts one. */
export function append(v, li, at) {
  const day = dayOf(at);
  const add = [];
  if (lastDay(v.lines) !== day) add.push(dayLine(at));
  li.dataset.day = day;
  add.push(li);
  v.lines.push(...add);
  if (shown(v)) {
    ui.log.append(...add);
    followEnd();
  }
  if (v.lines.length > MAX_LINES) trim(v);
}

/** trim drops v's oldest lines past MAX_LINES, and what it knew of their messages: they can be read again as older ones. */
function trim(v) {
  while (v.lines.length > MAX_LINES) {
    const gone = v.lines.shift();
    gone.remove();
    if (gone.dataset.id) v.msgs.delete(gone.dataset.id);
  }
  const first = v.lines.find((li) => li.dataset.id);
  v.oldestID = first?.dataset.id ?? '';
  v.cursor = '';
  v.more = true;
  if (shown(v)) showOlder(v);
}

/**
 * prepend puts older lines, oldest first ({ li, at } each), before v's
 * first, with the lines of their days, keeping in view what was.
 */
export function prepend(v, items) {
  if (items.length === 0) return;
  const add = [];
  let day = '';
  for (const { li, at } of items) {
    const d = dayOf(at);
    if (d !== day) add.push(dayLine(at));
    day = d;
    li.dataset.day = d;
    add.push(li);
  }
  const first = v.lines[0];
  if (first?.classList.contains('day') && first.dataset.day === day) {
    v.lines.shift();
    first.remove();
  }
  v.lines.unshift(...add);
  if (!shown(v)) return;
  const below = ui.log.scrollHeight - ui.log.scrollTop;
  older.after(...add);
  ui.log.scrollTop = ui.log.scrollHeight - below;
}

/** removeLine takes a message's line out of v, and its day's line if it was the day's only one. */
export function removeLine(v, li) {
  const i = v.lines.indexOf(li);
  if (i < 0) return;
  v.lines.splice(i, 1);
  li.remove();
  const before = v.lines[i - 1];
  const after = v.lines[i];
  if (before?.classList.contains('day') && (!after || after.classList.contains('day'))) {
    v.lines.splice(i - 1, 1);
    before.remove();
  }
}

/** fill puts v's lines in the log, older messages' control first for a room. */
export function fill(v) {
  log.current = v.key;
  ui.log.replaceChildren(...(v.kind === 'room' ? [older] : []), ...v.lines);
  log.atEnd = true;
  followEnd();
}

/** followEnd scrolls the log to its end when it should stay there. */
export function followEnd() {
  if (log.atEnd) ui.log.scrollTop = ui.log.scrollHeight;
}

/** showOlder says whether a room has older messages to read, and whether they are on their way. */
export function showOlder(v) {
  older.hidden = v.kind !== 'room';
  olderButton.disabled = v.loading || !v.more;
  olderButton.textContent = !v.more ? 'The start of what this room keeps' : v.loading ? 'Loading older messages…' : 'Show older messages';
}

/** flash draws the eye to a message's line, once it is scrolled to. */
export function flash(li) {
  li.scrollIntoView({ block: 'center' });
  log.atEnd = false;
  li.classList.remove('flash');
  void li.offsetWidth;
  li.classList.add('flash');
}
