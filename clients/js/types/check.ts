// Compiled by `npm run typecheck` (tsc): the declarations read, and an
// app's ordinary use of them type-checks.
import { ChatClient, ChatError, KEPT_OUT, login, parseReason, type Ack, type ChatEvent, type OutboxEntry } from 'wschat-client';

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
