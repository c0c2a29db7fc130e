// What the wschat page shows: lines of the log, and the lists beside it.
// Everything from the network reaches the page through textContent only.

const $ = (id) => document.getElementById(id);

export const ui = {
  status: $('status'),
  retry: $('retry'),
  me: $('me'),
  meName: $('me-name'),
  leave: $('leave'),
  joinView: $('join-view'),
  joinForm: $('join-form'),
  name: $('name'),
  joinRoom: $('join-room'),
  passwordRow: $('password-row'),
  password: $('password'),
  login: $('login'),
  register: $('register'),
  tokenNote: $('token-note'),
  tokenOffer: $('token-offer'),
  tokenOfferText: $('token-offer-text'),
  tokenAccept: $('token-accept'),
  tokenDecline: $('token-decline'),
  join: $('join'),
  joinError: $('join-error'),
  chatView: $('chat-view'),
  viewTitle: $('view-title'),
  viewTopic: $('view-topic'),
  sideToggle: $('side-toggle'),
  side: $('side'),
  rooms: $('rooms'),
  roomForm: $('room-form'),
  roomName: $('room-name'),
  roomTitle: $('room-title'),
  online: $('online'),
  onlineHint: $('online-hint'),
  onlineCount: $('online-count'),
  convsSection: $('convs-section'),
  convs: $('convs'),
  log: $('log'),
  typing: $('typing'),
  limit: $('limit'),
  upload: $('upload'),
  uploadName: $('upload-name'),
  uploadProgress: $('upload-progress'),
  uploadCancel: $('upload-cancel'),
  sideBadge: $('side-badge'),
  notifyOn: $('notify-on'),
  searchToggle: $('search-toggle'),
  searchPanel: $('search-panel'),
  searchForm: $('search-form'),
  searchText: $('search-text'),
  searchClose: $('search-close'),
  searchResults: $('search-results'),
  searchSays: $('search-says'),
  composeBar: $('compose-bar'),
  composeWhat: $('compose-what'),
  composeCancel: $('compose-cancel'),
  attach: $('attach'),
  file: $('file'),
  sendForm: $('send-form'),
  text: $('text'),
  send: $('send'),
};

/** el makes an element with a class and text. */
function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** hue picks a stable colour for a name, so each person's name looks the same everywhere. */
export function hue(name) {
  let h = 0;
  for (const ch of name.toLowerCase()) h = (h * 31 + ch.codePointAt(0)) % 360;
  return String(h);
}

/** size writes a byte count as a person reads it. */
export function size(n) {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${Math.round(n / 1024)} KiB`;
  return `${n} B`;
}

/**
 * listItem is one entry of a side list: a button with a label and, when
 * there is one, a count and an unread badge.
 */
function listItem(label, { count, unread = 0, more = false, current = false, self = false, onClick }) {
  const li = el('li');
  const b = el('button', 'item', label);
  b.type = 'button';
  if (current) b.setAttribute('aria-current', 'true');
  if (self) li.classList.add('self');
  b.style.setProperty('--hue', hue(label));
  b.addEventListener('click', onClick);
  li.append(b);
  if (count !== undefined) li.append(el('span', 'count', String(count)));
  if (unread > 0) {
    const badge = el('span', 'unread', more ? `${unread}+` : String(unread));
    badge.title = `${unread}${more ? ' or more' : ''} unread`;
    li.append(badge);
  }
  return li;
}

/**
 * renderOnline lists who is in the room, the person first; choosing
 * another starts a private conversation. In a crowd the names are some
 * of the count. Offline, the list is who was
 * there when the connection was lost, greyed out and said to be so.
 * acts, for a moderator, are what may be done to each other person.
 */
export function renderOnline(names, count, me, room, onChoose, offline, acts) {
  const sorted = [...names].sort((a, b) => {
    if (a === me) return -1;
    if (b === me) return 1;
    return a.localeCompare(b, undefined, { sensitivity: 'base' });
  });
  ui.online.replaceChildren(...sorted.map((name) => {
    const li = listItem(name, { self: name === me, onClick: () => { if (name !== me) onChoose(name); } });
    if (acts && name !== me && !offline) li.append(personButtons(name, acts));
    return li;
  }));
  ui.online.classList.toggle('offline', offline);
  const all = Math.max(count, sorted.length);
  ui.onlineCount.textContent = offline ? 'offline — reconnecting' : all.toLocaleString('en');
  ui.onlineHint.textContent = offline ? 'Who was here when the connection was lost.'
    : all > sorted.length ? `Some of the ${all.toLocaleString('en')} people here. Choose a name to talk privately.`
      : 'Choose a name to talk privately.';
  ui.roomTitle.textContent = room;
}

/** personButtons are what a moderator may do to the person called name. */
function personButtons(name, acts) {
  const box = el('span', 'person-acts');
  for (const a of acts) {
    const b = el('button', 'act', a.label);
    b.type = 'button';
    b.title = a.title(name);
    b.setAttribute('aria-label', a.title(name));
    b.addEventListener('click', () => a.run(name));
    box.append(b);
  }
  return box;
}

/** renderRooms lists the rooms with how many are in each and what is unread; offline, without the counts, which would be stale. */
export function renderRooms(rooms, onChoose, offline) {
  ui.rooms.classList.toggle('offline', offline);
  ui.rooms.replaceChildren(...rooms.map((r) =>
    listItem(`# ${r.name}`, { count: offline ? undefined : r.count, unread: r.unread, more: r.more, current: r.current, onClick: () => onChoose(r.name) })));
}

/**
 * renderLimit says how a message of bytes measures against the server's
 * limit of max bytes: nothing while it is well within, the count as it
 * nears the limit, and by how much it is over once it is.
 */
export function renderLimit(bytes, max) {
  const n = (x) => x.toLocaleString('en');
  const over = bytes - max;
  ui.limit.hidden = bytes < max * 0.8;
  ui.limit.classList.toggle('over', over > 0);
  ui.limit.textContent = over > 0
    ? `Too long to send: ${n(bytes)} bytes, ${n(over)} over the limit of ${n(max)} bytes (${size(max)}). Shorten it, or share it as a file with +.`
    : `${n(bytes)} of ${n(max)} bytes`;
  if (over > 0) ui.text.setAttribute('aria-invalid', 'true');
  else ui.text.removeAttribute('aria-invalid');
}

/** renderConvs lists the private conversations with what is unread. */
export function renderConvs(convs, onChoose) {
  ui.convsSection.hidden = convs.length === 0;
  ui.convs.replaceChildren(...convs.map((c) =>
    listItem(c.name, { unread: c.unread, current: c.current, onClick: () => onChoose(c.name) })));
}
