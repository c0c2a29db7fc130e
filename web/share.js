// Sharing files: the attach button, a picture pasted into the message
// box, or a file dropped on the chat goes up to POST /files with the
// connection's upload credential, with its progress shown under the log
// and a button to cancel it; the room's file message then shows it to
// everyone, or, in a private conversation, the private message to the
// two of them.

import { ui, size } from './view.js';
import { auth } from './auth.js';
import { sealsFile, sealedUpload } from './e2ee/files.js';

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

/** The upload under way, if any. */
let current = null;

/**
 * setUpSharing wires the ways to share a file. target tells where a file
 * goes now ({ room, credential } or { to, credential }) or why it cannot
 * ({ why }); tell shows the person a line.
 */
export function setUpSharing(target, tell) {
  const share = (file) => upload(file, target(), tell);
  ui.uploadCancel.addEventListener('click', () => current?.cancel());
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

/** shareSealed encrypts file, then uploads and announces it, showing its progress. */
function shareSealed(file, where, tell) {
  current = { cancel() {} }; // no Cancel: the sealed upload goes in steps of its own
  ui.uploadCancel.hidden = true;
  ui.uploadName.textContent = `Encrypting and sharing ${file.name}…`;
  ui.uploadProgress.value = 0;
  ui.upload.hidden = false;
  sealedUpload(file, where, (p) => {
    ui.uploadProgress.value = Math.round(100 * p);
  }).catch((err) => tell(`Could not share ${file.name} — ${err?.message || err}`)).finally(() => {
    ui.upload.hidden = true;
    current = null;
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
  // Encryption (e2ee/files.js): a file for an encrypted conversation or room goes sealed.
  if (sealsFile(where)) {
    shareSealed(file, where, tell);
    return;
  }
  const xhr = new XMLHttpRequest();
  const key = crypto.randomUUID();
  const q = where.to ? { to: where.to } : { room: where.room };
  xhr.open('POST', `/files?${new URLSearchParams({ ...q, name: file.name, upload: key })}`);
  xhr.setRequestHeader('Authorization', `Bearer ${where.credential}`);
  ui.uploadName.textContent = `Sharing ${file.name}…`;
  ui.uploadProgress.value = 0;
  ui.upload.hidden = false;
  ui.uploadCancel.hidden = false;
  xhr.upload.addEventListener('progress', (e) => {
    if (e.lengthComputable) ui.uploadProgress.value = Math.round((100 * e.loaded) / e.total);
  });
  let cancelled = false;
  current = {
    // Aborting alone cannot take back the bytes already handed to the
    // network, which may still reach the server whole: the server is
    // asked to stop reading, and says whether it was in time.
    async cancel() {
      cancelled = true;
      xhr.abort();
      let answer;
      try {
        answer = await fetch(`/files/uploads/${key}?${new URLSearchParams(q)}`, {
          method: 'DELETE', headers: { Authorization: `Bearer ${where.credential}` },
        });
      } catch {
        // the server is away: it stops reading when the connection goes
      }
      if (answer?.status === 204) tell(`Sharing ${file.name} was cancelled: nobody got it`);
      else if (answer?.status === 409) tell(`${file.name} had reached the server whole before the cancel: it is shared`);
      else tell(`Sharing ${file.name} was cancelled`); // it had not begun to arrive
    },
  };
  xhr.addEventListener('loadend', () => {
    ui.upload.hidden = true;
    current = null;
    if (cancelled) return; // cancel tells
    if (xhr.status === 201) return; // the room's message shows it
    let why = xhr.status ? `the server answered ${xhr.status}` : 'the connection failed';
    try {
      why = JSON.parse(xhr.responseText).error || why;
    } catch {
      // not JSON: the status says it
    }
    tell(`Could not share ${file.name} — ${why}`);
  });
  xhr.send(file);
}
