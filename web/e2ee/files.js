// Files in encrypted conversations and rooms: encrypted in the browser
// with a key of their own before upload (sealed=1: the server keeps them
// under no name and posts nothing), then announced by a sealed message
// that carries the name, type, link, key and nonce. A link to such a
// file fetches the ciphertext and decrypts it here when followed.

import { sealFile, openFile } from '/seal/seal.js';
import { session } from '../session.js';
import { key } from '../log.js';
import { e2ee, active } from './e2ee.js';

const MAX_KNOWN = 1000; // links remembered with their keys
const known = new Map(); // absolute URL → { name, type, key, nonce }

/** sealsFile reports whether a file going to where ({ room } or { to }) must be encrypted. */
export function sealsFile(where) {
  if (!active()) return false;
  if (where.to) return true;
  const room = (where.room ?? '').toLowerCase();
  return e2ee.encrypted.has(room) || e2ee.roomKeys.has(room);
}

/** remember keeps what decrypts the file a sealed message announced. */
export function remember(file) {
  const url = new URL(file.url, location.href).href;
  known.set(url, { name: file.name, type: file.type, key: file.key, nonce: file.nonce });
  if (known.size > MAX_KNOWN) known.delete(known.keys().next().value);
}

/**
 * sealedUpload encrypts file, uploads the ciphertext to where ({ room }
 * or { to }, with the credential) and puts the message that announces it
 * through the outbox, which seals it (outbound.js); progress(fraction)
 * shows the upload's progress.
 */
export async function sealedUpload(file, where, progress) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const sealed = await sealFile(bytes);
  const q = where.to ? { to: where.to, sealed: '1' } : { room: where.room, sealed: '1' };
  const answer = await post(`/files?${new URLSearchParams(q)}`, where.credential, sealed.ciphertext, progress);
  const f = { name: file.name, type: file.type || 'application/octet-stream', size: bytes.length, url: answer.url, key: sealed.key, nonce: sealed.nonce };
  const request = where.to ? { type: 'private', to: where.to, text: '', file: f } : { type: 'message', text: '', file: f };
  const view = where.to ? key('private', where.to) : key('room', where.room);
  session.client?.request(request, { tag: { view } }).catch(() => {}); // a refusal comes as a settled event
}

/** post uploads body and resolves with the answer, or rejects with the server's words. */
function post(url, credential, body, progress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('Authorization', `Bearer ${credential}`);
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) progress(e.loaded / e.total);
    });
    xhr.addEventListener('loadend', () => {
      let answer = {};
      try {
        answer = JSON.parse(xhr.responseText);
      } catch {
        // not JSON: the status says it
      }
      if (xhr.status === 201 && typeof answer.url === 'string') resolve(answer);
      else reject(new Error(answer.error || (xhr.status ? `the server answered ${xhr.status}` : 'the connection failed')));
    });
    xhr.send(body);
  });
}

/** setUpFiles makes a click on the link of an encrypted file download and decrypt it; fail(words) says why it could not. */
export function setUpFiles(fail) {
  document.addEventListener('click', async (e) => {
    const a = e.target.closest?.('a.file');
    const f = a && known.get(a.href);
    if (!f) return;
    e.preventDefault();
    e.stopPropagation();
    try {
      const resp = await fetch(a.href, { cache: 'no-store' });
      if (!resp.ok) throw new Error(`the server answered ${resp.status}`);
      const r = await openFile(new Uint8Array(await resp.arrayBuffer()), f);
      if (!r.ok) throw new Error(`it could not be decrypted (${r.reason})`);
      const url = URL.createObjectURL(new Blob([r.bytes], { type: f.type }));
      const save = document.createElement('a');
      save.href = url;
      save.download = f.name;
      save.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      fail(`Could not open ${f.name}: ${err?.message || err}`);
    }
  }, true);
}
