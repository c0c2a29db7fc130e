// The HTTP side of wschat: accounts (login, registration, renewal), the
// server's settings for clients, and file uploads with progress and
// cancel. Every refusal rejects with a ChatError carrying the server's
// code. docs/protocol.md is the reference.

/** ChatError is a refusal from the server, by its machine-readable code; message holds the words for a person. */
export class ChatError extends Error {
  constructor(code, words, status = 0) {
    super(words || code);
    this.name = 'ChatError';
    this.code = code;
    this.status = status;
  }
}

/** httpBase returns the http(s) origin of a server given as http(s):// or ws(s)://, or this page's. */
export function httpBase(server) {
  const u = new URL(server ?? globalThis.location?.origin ?? '');
  if (u.protocol === 'ws:') u.protocol = 'http:';
  if (u.protocol === 'wss:') u.protocol = 'https:';
  return u.origin;
}

/** refusal reads an HTTP refusal's {"error","code"} body into a ChatError. */
async function refusal(resp) {
  let body = {};
  try {
    body = await resp.json();
  } catch {
    // Not JSON: the status says it.
  }
  return new ChatError(typeof body.code === 'string' ? body.code : `http-${resp.status}`,
    typeof body.error === 'string' ? body.error : resp.statusText, resp.status);
}

/** call posts or gets JSON, and returns the answer or throws a ChatError. */
async function call(server, path, { method = 'GET', body, token } = {}) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let resp;
  try {
    resp = await fetch(httpBase(server) + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ChatError('network', e?.message ?? 'the server could not be reached');
  }
  if (!resp.ok) throw await refusal(resp);
  return resp.json();
}

/** serverConfig returns GET /api/config: { auth: 'none'|'accounts'|'token', signup, maxMessage, maxFile, origins }. */
export function serverConfig(server) {
  return call(server, '/api/config');
}

/** login returns { token, name, expires } for an account's name and password. */
export function login(server, name, password) {
  return call(server, '/api/login', { method: 'POST', body: { name, password } });
}

/** register opens an account and returns { token, name, expires }. */
export function register(server, name, password) {
  return call(server, '/api/register', { method: 'POST', body: { name, password } });
}

/** renewToken trades a token for a new one, { token, name, expires }. */
export function renewToken(server, token) {
  return call(server, '/api/token', { method: 'POST', token });
}

/**
 * upload sends file (a Blob or File) to a room (where.room) or to a
 * person (where.to) with the credential (the welcome's upload credential,
 * or the account's token), and resolves with the shared file's
 * { name, size, type, url }, its url absolute. onProgress(sent, total)
 * follows it where the platform tells (XMLHttpRequest). signal cancels
 * it: aborting the request alone cannot take back the bytes already
 * handed to the network, so the server is asked to stop reading the
 * upload (DELETE /files/uploads/KEY), and the promise rejects with a
 * ChatError 'aborted' when nothing was kept, or 'already-shared' when
 * the whole file had arrived and is shared.
 */
export function upload(server, file, where, credential, { name, onProgress, signal } = {}) {
  const key = newUploadKey();
  const to = where.to ? { to: where.to } : { room: where.room };
  const url = `${httpBase(server)}/files?${new URLSearchParams({ ...to, name: name ?? file.name ?? 'file', upload: key })}`;
  const done = (info) => ({ ...info, url: new URL(info.url, url).href });
  if (signal?.aborted) return Promise.reject(new ChatError('aborted', 'the upload was cancelled'));
  const cancel = () => cancelUpload(server, key, to, credential);
  if (typeof XMLHttpRequest === 'undefined') return uploadByFetch(url, file, credential, signal, onProgress, cancel).then(done);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('Authorization', `Bearer ${credential}`);
    xhr.responseType = 'json';
    xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      const body = xhr.response ?? {};
      if (xhr.status === 201) resolve(done(body));
      else reject(new ChatError(body.code ?? `http-${xhr.status}`, body.error ?? xhr.statusText, xhr.status));
    };
    xhr.onerror = () => reject(new ChatError('network', 'the upload could not reach the server'));
    xhr.onabort = () => cancel().then(reject);
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

/** newUploadKey names an upload, so that it can be cancelled. */
function newUploadKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * cancelUpload asks the server to stop reading the upload named key, and
 * returns the ChatError that says how it ended.
 */
async function cancelUpload(server, key, to, credential) {
  let resp;
  try {
    resp = await fetch(`${httpBase(server)}/files/uploads/${key}?${new URLSearchParams(to)}`, {
      method: 'DELETE', headers: { Authorization: `Bearer ${credential}` },
    });
  } catch {
    // The server is away: it stops reading when the connection goes.
  }
  if (resp?.status === 409) return new ChatError('already-shared', 'the file had reached the server whole before the cancel: it is shared', 409);
  return new ChatError('aborted', 'the upload was cancelled: nothing was kept');
}

/** uploadByFetch is upload where there is no XMLHttpRequest (Node): progress at the start and the end only. */
async function uploadByFetch(url, file, credential, signal, onProgress, cancel) {
  onProgress?.(0, file.size);
  let resp;
  try {
    resp = await fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${credential}` }, body: file, signal });
  } catch (e) {
    if (signal?.aborted) throw await cancel();
    throw new ChatError('network', e?.message ?? 'the upload could not reach the server');
  }
  if (resp.status !== 201) throw await refusal(resp);
  onProgress?.(file.size, file.size);
  return resp.json();
}
