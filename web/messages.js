// Messages as the page shows them: a room's, with what is done to them
// (edits, deletions, reactions, replies), and private ones, which the
// page keeps in the browser between visits when the server does not.
// Unread counts, mentions and notifications start here.

import { session } from './session.js';
import { messageLine, noticeLine, renderText, showReactions, snippet } from './lines.js';
import { append, flash, idLess, key, log, remember, removeLine, shown, view } from './log.js';
import { sharedFile } from './share.js';
import { notify } from './alerts.js';
import { auth } from './auth.js';
import { keepConversations, keptConversations } from './keep.js';

const str = (v) => (typeof v === 'string' ? v : '');

/** What may be done with a message, and what the page does when something is unread; app.js sets them. */
export const hooks = {
  act: null, // { reply, react, edit, remove, toggle }
  unread: () => {}, // the counts changed
  open: () => {}, // open a view, from a notification
  goTo: () => {}, // go to a room, from a notification
};

/** reactionsOf reads an event's reactions. */
function reactionsOf(ev) {
  if (!Array.isArray(ev.reactions)) return [];
  return ev.reactions.filter((r) => r && typeof r.emoji === 'string' && Number.isInteger(r.count))
    .map((r) => ({ emoji: r.emoji, count: r.count, names: Array.isArray(r.names) ? r.names.filter((n) => typeof n === 'string') : [] }));
}

/** messageOf is what a room's message event says, as the page keeps it; null when it says too little. */
export function messageOf(ev) {
  const name = str(ev.name);
  const file = ev.type === 'file' ? sharedFile(ev.file) : null;
  if (!name || !str(ev.text) || (ev.type === 'file' && !file)) return null;
  return {
    id: str(ev.id), name, text: str(ev.text), file, time: str(ev.time), mine: name === session.name,
    replyTo: str(ev.reply_to), replyName: str(ev.reply_name), edited: ev.edited === true, reactions: reactionsOf(ev),
  };
}

/** lineOf is the line of a room's message in v. */
export function lineOf(v, m) {
  m.quote = m.replyTo ? v.msgs.get(m.replyTo)?.text ?? '' : '';
  m.li = messageLine(m, session.name, hooks.act);
  const q = m.li.querySelector('.quote');
  q?.addEventListener('click', () => {
    const to = v.msgs.get(m.replyTo);
    if (to) flash(to.li);
  });
  return m.li;
}

/** onMessage shows a room's message or file, once; a replayed one already shown takes its state as replayed. */
export function onMessage(ev) {
  const room = str(ev.room);
  const m = messageOf(ev);
  if (!m || room.toLowerCase() !== session.room.toLowerCase()) return;
  const v = view('room', session.room);
  if (m.id && v.msgs.has(m.id)) {
    refresh(v, v.msgs.get(m.id), m);
    return;
  }
  if (m.id && v.ids.has(m.id)) return; // shown, then deleted
  append(v, lineOf(v, m), m.time);
  if (m.id) {
    remember(v, m.id);
    v.msgs.set(m.id, m);
  }
  if (ev.history === true || m.mine) return;
  const mentioned = m.li.classList.contains('mentions-me');
  counted(v, mentioned);
  if (mentioned) notify(`${m.name} mentioned you in ${room}`, snippet(m.text), () => hooks.open(v.key));
}

/** refresh gives a message shown already the state a replay says it has. */
function refresh(v, shown, m) {
  if (m.edited && m.text !== shown.text) edited(v, shown, m.text);
  shown.reactions = m.reactions;
  showReactions(shown.li, m.reactions, session.name, hooks.act?.toggle);
}

/** counted counts a message that arrived unseen in v: not in view, or while the tab is hidden. */
function counted(v, mentioned) {
  if (!shown(v) || document.hidden) {
    v.unread++;
    v.mentioned ||= mentioned;
    hooks.unread();
  }
}

/** onAction applies an edit, a deletion or a reaction to the message it acts on, if the page shows it. */
export function onAction(ev) {
  const room = str(ev.room);
  if (room.toLowerCase() !== session.room.toLowerCase()) return;
  const v = view('room', session.room);
  const actionID = str(ev.action_id);
  if (actionID && (!v.lastID || idLess(v.lastID, actionID))) v.lastID = actionID;
  const m = v.msgs.get(str(ev.id));
  if (!m) return;
  switch (ev.type) {
    case 'edit':
      if (str(ev.text)) edited(v, m, str(ev.text));
      break;
    case 'delete':
      removeLine(v, m.li);
      v.msgs.delete(m.id);
      break;
    case 'react':
      reacted(m, str(ev.name), str(ev.emoji), ev.on === true);
      break;
  }
}

/** edited shows m with its new text. */
function edited(v, m, text) {
  m.text = text;
  m.edited = true;
  renderText(m.li.querySelector('.text'), text, session.name);
  m.li.querySelector('.edited').textContent = ' (edited)';
  for (const other of v.msgs.values()) {
    if (other.replyTo === m.id) other.li.querySelector('.quote-text').textContent = ` ${snippet(text)}`;
  }
}

/** reacted puts name's emoji on m, or takes it back. */
function reacted(m, name, emoji, on) {
  if (!name || !emoji) return;
  let r = m.reactions.find((x) => x.emoji === emoji);
  const has = r?.names.some((n) => n.toLowerCase() === name.toLowerCase());
  if (on && !has) {
    if (!r) m.reactions.push(r = { emoji, count: 0, names: [] });
    r.count++;
    r.names.push(name);
  } else if (!on && r) {
    r.count = Math.max(0, r.count - 1);
    r.names = r.names.filter((n) => n.toLowerCase() !== name.toLowerCase());
  }
  m.reactions = m.reactions.filter((x) => x.count > 0);
  showReactions(m.li, m.reactions, session.name, hooks.act?.toggle);
}

/** reactedBy reports whether name has emoji on the message id of the room's view. */
export function reactedBy(id, emoji, name) {
  const m = view('room', session.room).msgs.get(id);
  const r = m?.reactions.find((x) => x.emoji === emoji);
  return !!r?.names.some((n) => n.toLowerCase() === name.toLowerCase());
}

/** onPrivate shows a private message in the conversation with the other person, once. */
export function onPrivate(ev) {
  const name = str(ev.name);
  const to = str(ev.to);
  const other = name === session.name ? to : name;
  const file = ev.file ? sharedFile(ev.file) : null;
  if (!other || !str(ev.text) || (ev.file && !file)) return;
  const v = view('private', other);
  const id = str(ev.id);
  if (id && v.ids.has(id)) return;
  if (id) remember(v, id);
  const m = { name, text: str(ev.text), file, time: str(ev.time) || new Date().toISOString(), mine: name === session.name };
  append(v, messageLine(m, session.name, null), m.time);
  v.kept ??= [];
  v.kept.push({ name: m.name, text: m.text, time: m.time, mine: m.mine, ...(file ? { file } : {}) });
  keepPrivate();
  if (ev.history === true || m.mine) {
    hooks.unread();
    return;
  }
  counted(v, false);
  notify(`${name} wrote to you`, file ? file.name : snippet(m.text), () => hooks.open(v.key));
}

/** keepPrivate keeps the private conversations in the browser, where the server keeps none. */
function keepPrivate() {
  if (auth.mode !== 'none' || !session.name) return;
  const convs = [...log.views.values()].filter((v) => v.kind === 'private' && v.kept?.length)
    .map((v) => ({ with: v.name, msgs: v.kept }));
  keepConversations(session.name, convs);
}

/** restorePrivate shows the private conversations the browser kept for the name. */
export function restorePrivate() {
  if (auth.mode !== 'none') return;
  for (const c of keptConversations(session.name)) {
    const v = view('private', c.with);
    if (v.lines.length > 0) continue;
    v.kept = [];
    for (const m of c.msgs) {
      const file = m.file ? sharedFile(m.file) : null;
      append(v, messageLine({ name: m.name, text: m.text, file, time: m.time, mine: m.name === session.name }, session.name, null), m.time);
      v.kept.push(m);
    }
    if (c.msgs.length > 0) append(v, noticeLine('Kept by this browser from your last visit'), new Date().toISOString());
  }
  hooks.unread();
}

/** onMention tells the person that someone named them in another room: a line in the log, a mark on the title, and a notification while the tab is hidden. */
export function onMention(ev) {
  const name = str(ev.name);
  const room = str(ev.room);
  if (!name || !room || room.toLowerCase() === session.room.toLowerCase()) return;
  const v = log.views.get(log.current) ?? view('room', session.room);
  append(v, noticeLine(`${name} mentioned you in ${room}: ${snippet(str(ev.text))}`), '');
  if (document.hidden) session.mentionedElsewhere = true;
  hooks.unread();
  notify(`${name} mentioned you in ${room}`, snippet(str(ev.text)), () => hooks.goTo(room));
}

/** roomKey is the key of the view of the room the person is in. */
export const roomKey = () => key('room', session.room);
