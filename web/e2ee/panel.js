// What the person sees of encryption, in a bar above the message box:
// whether the conversation in view is end-to-end encrypted; its safety
// number (60 digits both sides compute alike from both accounts' device
// keys, to compare side by side or over a call); the warning, before
// anything is sent, that the other side's devices changed; and, in a
// room, the form for the room's passphrase.

import { roomKey, safetyNumber } from '/seal/seal.js';
import { ui } from '../view.js';
import { session } from '../session.js';
import { log, view, append } from '../log.js';
import { el, noticeLine } from '../lines.js';
import { e2ee, active, keepRoomKey } from './e2ee.js';
import { devicesOf } from './directory.js';

const bar = el('div', 'e2ee-bar');
bar.id = 'e2ee-bar';
const state = el('span', 'e2ee-state');
state.id = 'e2ee-state';
const safetyButton = button('e2ee-safety-toggle', 'Safety number');
const safety = el('p', 'e2ee-safety');
safety.id = 'e2ee-safety';
const lockButton = button('e2ee-room-lock', '🔒 Encrypt this room');
const passForm = el('form', 'e2ee-pass');
passForm.id = 'e2ee-pass-form';
const passInput = el('input');
passInput.id = 'e2ee-passphrase';
passInput.type = 'password';
passInput.autocomplete = 'off';
passInput.placeholder = "The room's passphrase, shared out of band";
passInput.setAttribute('aria-label', "The room's passphrase");
const passOK = button('e2ee-passphrase-ok', 'Use passphrase');
passOK.type = 'submit';
passForm.append(passInput, passOK);
const warning = el('p', 'e2ee-warning');
warning.id = 'e2ee-warning';
warning.setAttribute('role', 'alert');
const warningText = el('span');
const accept = button('e2ee-accept', 'Accept the new keys and send');
warning.append(warningText, accept);
bar.append(state, safetyButton, lockButton, passForm, safety, warning);

/** button makes a small button with an id. */
function button(id, label) {
  const b = el('button', 'link', label);
  b.id = id;
  b.type = 'button';
  return b;
}

/** the conversation in view: { kind, name } */
const current = () => log.views.get(log.current) ?? { kind: 'room', name: session.room };

/** setUpPanel puts the bar on the page and keeps it up to date with the view. */
export function setUpPanel() {
  document.querySelector('.under-log')?.prepend(bar);
  new MutationObserver(refresh).observe(ui.viewTitle, { childList: true, characterData: true, subtree: true });
  safetyButton.addEventListener('click', () => {
    if (safety.hidden) showSafety();
    else safety.hidden = true;
  });
  lockButton.addEventListener('click', () => {
    passForm.hidden = false;
    passInput.focus();
  });
  passForm.addEventListener('submit', (e) => {
    e.preventDefault();
    usePassphrase();
  });
  refresh();
}

/** refresh shows what is true of the conversation in view. */
export function refresh() {
  const v = current();
  bar.hidden = !active();
  safety.hidden = true;
  safety.textContent = '';
  if (v.kind === 'private') {
    warning.hidden = !warning.dataset.name || warning.dataset.name.toLowerCase() !== v.name.toLowerCase();
    state.textContent = e2ee.failed ? `⚠ Not encrypted: ${e2ee.failed}` : '🔒 End-to-end encrypted';
    safetyButton.hidden = false;
    lockButton.hidden = passForm.hidden = true;
    return;
  }
  warning.hidden = true;
  safetyButton.hidden = true;
  const room = v.name.toLowerCase();
  const keyed = e2ee.roomKeys.has(room);
  const flagged = e2ee.encrypted.has(room);
  state.textContent = keyed ? '🔒 Encrypted room: messages and files are sealed with its passphrase'
    : flagged ? "🔒 This room is encrypted: give its passphrase to read and write in it" : '';
  lockButton.hidden = keyed || flagged;
  passForm.hidden = keyed || !flagged;
}

/** showSafety computes and shows the safety number of the private conversation in view. */
async function showSafety() {
  const v = current();
  if (v.kind !== 'private') return;
  safety.hidden = false;
  safety.textContent = 'Computing…';
  try {
    const [mine, theirs] = await Promise.all([devicesOf(session.name, true), devicesOf(v.name, true)]);
    if (theirs.length === 0) {
      safety.textContent = `${v.name} has no encryption key yet.`;
      return;
    }
    const n = await safetyNumber({ name: session.name, keys: mine.map((d) => d.raw) }, { name: v.name, keys: theirs.map((d) => d.raw) });
    safety.textContent = '';
    const digits = el('span', 'e2ee-digits', n);
    digits.id = 'e2ee-safety-number';
    safety.append(digits, el('span', 'hint', ` Compare with ${v.name}'s screen, side by side or over a call in which you know their voice. If the numbers differ, someone may be in the middle: do not send. It changes when either of you adds or replaces a device.`));
  } catch (err) {
    safety.textContent = `Could not compute the safety number: ${err?.message || err}`;
  }
}

/** usePassphrase derives the room's key from the passphrase given, keeps it, and reloads so that the room's history is read with it. */
async function usePassphrase() {
  const pass = passInput.value;
  if (pass === '') return;
  passOK.disabled = true;
  state.textContent = 'Deriving the room key…';
  try {
    const k = await roomKey(pass, session.room);
    await keepRoomKey(session.room, k);
    passInput.value = '';
    location.reload();
  } catch (err) {
    state.textContent = `Could not use that passphrase: ${err?.message || err}`;
    passOK.disabled = false;
  }
}

/** warnChanged warns, in name's conversation, that name's devices changed; onAccept runs when the person accepts them. */
export function warnChanged(name, ids, onAccept) {
  warning.dataset.name = name;
  warningText.textContent = `⚠ ${name}'s keys changed since you last wrote (${ids.length} device${ids.length === 1 ? '' : 's'} now). Someone may have added a device, or be in the middle. Your message was not sent. Compare the safety number with ${name} before accepting. `;
  accept.onclick = () => {
    delete warning.dataset.name;
    warning.hidden = true;
    onAccept();
  };
  tell(name, `⚠ ${name}'s keys changed: your message waits until you accept them`);
  refresh();
}

/** tell shows a line in the private conversation with name. */
export function tell(name, words) {
  append(view('private', name), noticeLine(words), '');
}
