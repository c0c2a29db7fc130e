// Sharing files: the attach button, a picture pasted into the message
// box, or a file dropped on the chat goes up to POST /files with the
// connection's upload credential, with its progress shown under the log
// and a button to cancel it; the room's file message then shows it to
// everyone, or, in a private conversation, the private message to the
// two of them.

import { ui, size } from './view.js';
import { auth } from './auth.js';
import { upload as send } from '/lib/http.js';

/** sharedFile checks a file event's file, whose link must lead to this server's own /files/. */
export function sharedFile(f) {
  if (!f || typeof f.name !== 'string' || typeof f.type !== 'string' || !Number.isFinite(f.size) || typeof f.url !== 'string') return null;
  let u;
  try {
    u = new URL(f.url, location.href);
  } catch {
    return null;
  }
  if (u.origin !== location.origin || !u.pathname.startsWith('/files/')) return null;
  return { name: f.name, type: f.type, size: f.size, url: u.href };
}

/** The upload under way, if any: its AbortController. */
let current = null;

/**
 * setUpSharing wires the ways to share a file. target tells where a file
 * goes now ({ room, credential } or { to, credential }) or why it cannot
 * ({ why }); tell shows the person a line.
 */
export function setUpSharing(target, tell) {
  const share = (file) => upload(file, target(), tell);
  ui.uploadCancel.addEventListener('click', () => current?.abort());
  ui.attach.addEventListener('click', () => ui.file.click());
  ui.file.addEventListener('change', () => {
    share(ui.file.files[0]);
    ui.file.value = '';
  });
  // A picture pasted into the message box is shared.
  ui.text.addEventListener('paste', (e) => {
    const file = [...(e.clipboardData?.files ?? [])][0];
    if (!file) return;
    e.preventDefault();
    share(file);
  });
  // A file dropped on the chat is shared.
  ui.chatView.addEventListener('dragover', (e) => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault();
    ui.chatView.classList.add('dropping');
  });
  ui.chatView.addEventListener('dragleave', () => ui.chatView.classList.remove('dropping'));
  ui.chatView.addEventListener('drop', (e) => {
    ui.chatView.classList.remove('dropping');
    if (!e.dataTransfer?.files.length) return;
    e.preventDefault();
    share(e.dataTransfer.files[0]);
  });
}

/** upload sends file to where, showing its progress, and tells why if it fails. */
function upload(file, where, tell) {
  if (!file) return;
  if (where.why) {
    tell(where.why);
    return;
  }
  if (file.size > auth.maxFile) {
    tell(`${file.name} is too large to share: at most ${size(auth.maxFile)}`);
    return;
  }
  if (current) {
    tell('Another file is on its way: wait for it, or cancel it, to share this one');
    return;
  }
  current = new AbortController();
  const to = where.to ? { to: where.to } : { room: where.room };
  ui.uploadName.textContent = `Sharing ${file.name}…`;
  ui.uploadProgress.value = 0;
  ui.upload.hidden = false;
  const onProgress = (sent, total) => {
    if (total) ui.uploadProgress.value = Math.round((100 * sent) / total);
  };
  // The room's message shows the file once it is kept.
  send(location.origin, file, to, where.credential, { name: file.name, onProgress, signal: current.signal })
    .catch((e) => {
      if (e.code === 'aborted') tell(`Sharing ${file.name} was cancelled: nobody got it`);
      else tell(`Could not share ${file.name} — ${e.message || `the server answered ${e.status}`}`);
    })
    .finally(() => {
      ui.upload.hidden = true;
      current = null;
    });
}
