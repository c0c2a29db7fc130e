// Compiled by `npm run typecheck` (tsc): the declarations read, and an
// app's ordinary use of them type-checks.
import { ChatClient, ChatError, KEPT_OUT, login, parseReason, type Ack, type ChatEvent, type OutboxEntry } from 'wschat-client';
import { generateDeviceKey, openPrivate, openRoom, roomKey, safetyNumber, sealFile, sealPrivate, sealRoom } from 'wschat-client/seal';

async function use(): Promise<void> {
  const { token } = await login('http://localhost:9000', 'alice', 'secret password');
  const c = new ChatClient({
    server: 'http://localhost:9000',
    token,
    renewToken: async (t) => t,
    outbox: {
      load: () => JSON.parse(localStorage.getItem('outbox') ?? '[]') as OutboxEntry[],
      save: (entries) => localStorage.setItem('outbox', JSON.stringify(entries)),
    },
    inbound: (data, deliver) => deliver(data),
    outbound: async (request) => (request.type === 'private' ? null : request),
  });
  c.on('state', (s) => s.state === 'reconnecting' && console.log(`again in ${Math.ceil(((s.at ?? 0) - Date.now()) / 1000)} s`, s.close));
  c.on('state', (s) => s.state === 'closed' && KEPT_OUT.has(s.code ?? '') && console.log(s.text));
  c.on('settled', ({ tag, ack, error }) => console.log(tag, ack?.id, error?.code));
  for (const w of c.waiting()) if (w.request.type === 'react') c.cancel(w.request.client_id);
  c.retryNow();
  c.command('/kick bob');
  void c.request({ type: 'message', text: '', sealed: {} }, { tag: 1 }).catch(() => {});
  const off = c.on('message', (ev: ChatEvent) => console.log(ev.name, ev.text));
  c.on('state', (s) => s.state === 'closed' && console.log(s.code));
  c.on('gap', ({ room }) => console.log('could not recover', room));
  c.connect();
  try {
    const ack: Ack = await c.send('hello', { replyTo: '1-0', tag: { view: 'room:lobby' } });
    console.log(ack.id, ack.repeat);
  } catch (e) {
    if (e instanceof ChatError) console.log(e.code);
  }
  const page = await c.history({ limit: 20 });
  console.log(page.messages?.length, parseReason('name-taken: taken').code);
  await c.uploadFile(new Blob(['x']), { name: 'x.txt', onProgress: (sent, total) => console.log(sent / total) });
  off();
  c.close();
}
void use;

// An app that seals: a private message to bob's devices, a room's, a file's.
async function seal(bob: { publicKey: CryptoKey }[], bobKeys: string[], bytes: Uint8Array): Promise<void> {
  const me = await generateDeviceKey();
  const file = await sealFile(bytes);
  const sealed = await sealPrivate({
    text: 'hi', file: { name: 'a.txt', type: 'text/plain', size: bytes.length, url: '/files/a', key: file.key, nonce: file.nonce },
    sender: { name: 'alice', device: me }, recipients: [{ name: 'bob', devices: bob }],
  });
  const opened = await openPrivate(JSON.parse(JSON.stringify(sealed)), { me: { name: 'alice', device: me }, sender: { name: 'alice', devices: [me] } });
  if (opened.ok) console.log(opened.text, opened.file?.url);
  else console.log(opened.reason);
  const key = await roomKey('correct horse', 'lobby');
  const r = await openRoom(await sealRoom({ text: 'hi', key, room: 'lobby', sender: 'alice' }), { key, room: 'lobby', sender: 'alice' });
  console.log(r.ok ? r.text : r.reason, await safetyNumber({ name: 'alice', keys: [me.raw] }, { name: 'bob', keys: bobKeys }));
}
void seal;
