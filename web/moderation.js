// Moderation as the page shows it: the room's topic under its name, the
// person's role there (an operator sees what may be done to a person and
// to anyone's message), the room's moderation events as lines of the
// log, reports for those who run the room, and why a connection was
// closed by a kick or a ban.

import { ui } from './view.js';
import { session } from './session.js';
import { noticeLine } from './lines.js';
import { append, view } from './log.js';

const str = (v) => (typeof v === 'string' ? v : '');

/** The roles that moderate a room. */
const MODERATORS = new Set(['operator', 'owner', 'admin']);

/** moderator reports whether the person moderates the room they are in. */
export const moderator = () => MODERATORS.has(session.role);

/** onWelcome takes the room's topic and the person's role there from a welcome. */
export function onWelcome(ev) {
  session.topic = str(ev.topic);
  session.role = str(ev.role);
  showRole();
}

/** showRole shows the topic under the room's name, and marks the page for a moderator. */
export function showRole() {
  ui.viewTopic.textContent = session.topic;
  ui.viewTopic.hidden = session.topic === '' || !ui.viewTitle.textContent.startsWith('#');
  document.body.classList.toggle('moderator', moderator());
}

/** until says when a ban or mute ends, as a person reads it. */
function until(ev) {
  const d = new Date(str(ev.until));
  return Number.isNaN(d.getTime()) ? 'until lifted' : `until ${d.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' })}`;
}

/** words is a moderation event as a person reads it. */
function words(ev) {
  const who = str(ev.name);
  const to = str(ev.to);
  const why = str(ev.text) ? `: ${str(ev.text)}` : '';
  switch (ev.action) {
    case 'topic': return str(ev.text) ? `${who} set the topic: ${str(ev.text)}` : `${who} cleared the topic`;
    case 'kick': return `${who} kicked ${to}${why}`;
    case 'ban': return `${who} banned ${to} ${until(ev)}${why}`;
    case 'mute': return `${who} muted ${to} ${until(ev)}${why}`;
    case 'unban': return `${who} lifted ${to}'s ban`;
    case 'unmute': return `${who} lifted ${to}'s mute`;
    case 'op': return `${who} made ${to} an operator`;
    case 'deop': return `${who} took ${to}'s operator role`;
    case 'invite': return `${who} invited ${to}`;
    case 'invite-only': return str(ev.text) === 'on' ? `${who} made the room invite-only` : `${who} opened the room to everyone`;
    case 'droproom': return `${who} removed the room's owner, operators, topic and bans`;
  }
  return '';
}

/** onModeration shows a moderation event of the room, and takes what it changes: the topic, the person's own role. */
export function onModeration(ev) {
  if (str(ev.room).toLowerCase() !== session.room.toLowerCase()) return;
  const line = words(ev);
  if (line) append(view('room', session.room), noticeLine(line), str(ev.time));
  if (ev.history === true) return;
  const me = str(ev.to).toLowerCase() === session.name.toLowerCase();
  if (ev.action === 'topic') session.topic = str(ev.text);
  if (ev.action === 'op' && me) session.role = 'operator';
  if (ev.action === 'deop' && me) session.role = '';
  if (ev.action === 'droproom' && session.role === 'owner') session.role = '';
  showRole();
}

/** onReport tells someone who runs the room that a message was reported. */
export function onReport(ev) {
  const quote = str(ev.quote);
  const line = `${str(ev.name)} reported ${str(ev.to)}'s message in ${str(ev.room)}: ${str(ev.text)}${quote ? ` (“${quote.slice(0, 80)}”)` : ''}`;
  append(view('room', session.room), noticeLine(line), '');
}

/** The close codes of a connection an operator took out of its room. */
export const REMOVED = new Set(['kicked', 'banned']);

/** personActs are what a moderator may do to someone in the room, beside their name: null for anyone else. */
export function personActs(sendCommand, startCommand) {
  if (!moderator()) return null;
  return [
    { label: 'Kick', title: (n) => `Kick ${n} out of the room`, run: (n) => sendCommand(`/kick ${n}`) },
    { label: 'Mute', title: (n) => `Mute ${n} for 10 minutes`, run: (n) => sendCommand(`/mute ${n}`) },
    { label: 'Ban', title: (n) => `Ban ${n}: add a duration and a reason, then send`, run: (n) => startCommand(`/ban ${n} `) },
  ];
}
