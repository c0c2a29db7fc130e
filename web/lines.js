// The lines of the log: a message with what was done to it (edited, its
// reactions, the message it answers), a shared file, a notice, and the
// line that starts a new day. Everything from the network reaches the
// page through text nodes only; links are made of http and https
// addresses alone, and open apart from the page.

import { hue, size } from './view.js';

/** PICTURES are the types the server serves inline, which the page previews. */
const PICTURES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

/** The emoji offered for a reaction; any other can come from another client. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀'];

/** LINK finds web addresses in text; MENTION finds @names. */
const LINK = /\bhttps?:\/\/[^\s<>"'`]+[^\s<>"'`.,;:!?)\]}]/gi;
const MENTION = /(^|[^\p{L}\p{N}_.-])@([\p{L}\p{N}_.-]{1,32})/gu;

/** el makes an element with a class and text. */
export function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** when reads a time the server sent, or now. */
function when(at) {
  const d = at ? new Date(at) : new Date();
  return Number.isNaN(d.getTime()) ? new Date() : d;
}

/** timeStamp shows when a line was said as hours and minutes, and the full date on hover. */
export function timeStamp(at) {
  const d = when(at);
  const t = el('time', '', d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
  t.dateTime = d.toISOString();
  t.title = d.toLocaleString([], { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return t;
}

/** dayOf is the calendar day of a time, as a key. */
export function dayOf(at) {
  const d = when(at);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** dayLine starts a new day in the log. */
export function dayLine(at) {
  const d = when(at);
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  let words = d.toLocaleDateString([], { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });
  if (dayOf(d) === dayOf(today)) words = 'Today';
  else if (dayOf(d) === dayOf(yesterday)) words = 'Yesterday';
  const li = el('li', 'day');
  li.append(el('span', '', words));
  li.dataset.day = dayOf(d);
  return li;
}

/** safeLink returns an address as a link, if it is http or https. */
function safeLink(text) {
  let u;
  try {
    u = new URL(text);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  const a = el('a', 'link', text);
  a.href = u.href;
  a.target = '_blank';
  a.rel = 'noopener noreferrer';
  return a;
}

/**
 * renderText fills node with text: line breaks kept (by the CSS), web
 * addresses as links, @names marked, the person's own name most of all.
 * It reports whether the text mentions me.
 */
export function renderText(node, text, me) {
  node.replaceChildren();
  let mentioned = false;
  const parts = [];
  for (const m of text.matchAll(LINK)) parts.push({ at: m.index, end: m.index + m[0].length, kind: 'link', text: m[0] });
  for (const m of text.matchAll(MENTION)) {
    const at = m.index + m[1].length;
    const end = at + 1 + m[2].length;
    if (!parts.some((p) => at < p.end && end > p.at)) parts.push({ at, end, kind: 'mention', text: m[0].slice(m[1].length), name: m[2] });
  }
  parts.sort((a, b) => a.at - b.at);
  let from = 0;
  for (const p of parts) {
    if (p.at > from) node.append(text.slice(from, p.at));
    let made = null;
    if (p.kind === 'link') made = safeLink(p.text);
    if (p.kind === 'mention') {
      const mine = me !== '' && p.name.toLowerCase() === me.toLowerCase();
      mentioned ||= mine;
      made = el('span', mine ? 'mention mention-me' : 'mention', p.text);
    }
    node.append(made ?? p.text);
    from = p.end;
  }
  if (from < text.length) node.append(text.slice(from));
  return mentioned;
}

/** snippet is the start of a message, on one line, to quote it. */
export function snippet(text, n = 80) {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

/** who is a sender's name, coloured. */
function who(name) {
  const w = el('span', 'who', name);
  w.style.setProperty('--hue', hue(name));
  return w;
}

/**
 * messageLine is one message: its sender, the line it answers, its text
 * or file, when, whether it was edited, its reactions, and what the
 * person may do with it. m: { id, name, text, time, mine, file,
 * replyTo, replyName, quote, edited, reactions, pending }; me: the
 * person's name; act: { reply, react, edit, remove, report, toggle } or null
 * where nothing may be done (private messages, lines not yet sent).
 */
export function messageLine(m, me, act) {
  const li = el('li', m.mine ? 'msg mine' : 'msg');
  if (m.id) li.dataset.id = m.id;
  li.append(who(m.name));
  if (m.replyTo) {
    const q = el('span', 'quote');
    q.append(el('span', 'quote-who', m.replyName || 'a message'), el('span', 'quote-text', m.quote ? ` ${snippet(m.quote)}` : ''));
    q.dataset.replyTo = m.replyTo;
    li.append(q);
  }
  const body = el('span', 'text');
  if (m.file) fileBody(body, m.file);
  else if (renderText(body, m.text, me) && !m.mine) li.classList.add('mentions-me');
  li.append(body, el('span', 'edited', m.edited ? ' (edited)' : ''), timeStamp(m.time));
  li.append(el('span', 'reactions'));
  if (m.reactions) showReactions(li, m.reactions, me, act?.toggle);
  if (act) {
    li.append(actionBar(m, act));
    // On a touch screen, where nothing hovers, a tap shows what may be done.
    li.addEventListener('click', (e) => {
      if (!e.target.closest('a, button')) li.classList.toggle('show-acts');
    });
  }
  if (m.pending) {
    li.classList.add('pending');
    li.append(el('span', 'pending-note', m.pending));
  }
  return li;
}

/** fileBody shows a shared file: a link, its size, and a preview of a picture. */
function fileBody(body, file) {
  const link = el('a', 'file', file.name);
  link.href = file.url;
  link.target = '_blank';
  link.rel = 'noopener noreferrer';
  body.append(link, el('span', 'file-size', size(file.size)));
  if (PICTURES.includes(file.type)) {
    const img = el('img', 'preview');
    img.src = file.url;
    img.alt = file.name;
    img.loading = 'lazy';
    body.append(img);
  }
}

/** actionBar is what may be done with a message: answer it, react to it, and edit or delete one's own. */
function actionBar(m, act) {
  const bar = el('span', 'acts');
  const button = (label, title, onClick) => {
    const b = el('button', 'act', label);
    b.type = 'button';
    b.title = title;
    b.setAttribute('aria-label', title);
    b.addEventListener('click', (e) => {
      e.stopPropagation();
      onClick(e);
    });
    bar.append(b);
    return b;
  };
  button('Reply', 'Reply', () => act.reply(m.id));
  button('React', 'React', () => togglePicker(bar, m, act));
  if (m.mine && !m.file) button('Edit', 'Edit', () => act.edit(m.id));
  if (m.mine) button('Delete', 'Delete', () => act.remove(m.id));
  if (!m.mine) {
    // Anyone's message: an operator may delete it (shown to moderators only), anyone may report it.
    button('Delete', `Delete ${m.name}'s message`, () => act.remove(m.id)).classList.add('mod-only');
    button('Report', 'Report', () => act.report(m.id));
  }
  return bar;
}

/** togglePicker opens or closes the row of quick reactions under a message. */
function togglePicker(bar, m, act) {
  const open = bar.querySelector('.picker');
  if (open) {
    open.remove();
    return;
  }
  const picker = el('span', 'picker');
  for (const emoji of QUICK_REACTIONS) {
    const b = el('button', 'pick', emoji);
    b.type = 'button';
    b.title = `React ${emoji}`;
    b.addEventListener('click', (e) => {
      e.stopPropagation();
      picker.remove();
      act.react(m.id, emoji);
    });
    picker.append(b);
  }
  bar.append(picker);
}

/** showReactions shows a message's reactions as buttons that put one on, or take it back. */
export function showReactions(li, reactions, me, toggle) {
  const box = li.querySelector('.reactions');
  box.replaceChildren(...reactions.filter((r) => r.count > 0).map((r) => {
    const mine = r.names.some((n) => n.toLowerCase() === me.toLowerCase());
    const b = el('button', mine ? 'reaction mine' : 'reaction', `${r.emoji} ${r.count}`);
    b.type = 'button';
    b.title = `${r.names.join(', ')}${r.count > r.names.length ? ` and ${r.count - r.names.length} more` : ''}`;
    b.setAttribute('aria-pressed', String(mine));
    if (toggle) b.addEventListener('click', () => toggle(li.dataset.id, r.emoji));
    else b.disabled = true;
    return b;
  }));
}

/** noticeLine is a line from the page or the server, not from a person. */
export function noticeLine(text) {
  const li = el('li', 'notice');
  li.append(el('span', 'text', text), timeStamp());
  return li;
}
