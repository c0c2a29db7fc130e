// Compiled by `npm run typecheck` (tsc): the declarations read, and an
// app's ordinary use of them type-checks.
import { ChatClient, ChatError, login, parseReason, type Ack, type ChatEvent } from 'wschat-client';

async function use(): Promise<void> {
  const { token } = await login('http://localhost:9000', 'alice', 'secret password');
  const c = new ChatClient({ server: 'http://localhost:9000', token, renewToken: async (t) => t });
  const off = c.on('message', (ev: ChatEvent) => console.log(ev.name, ev.text));
  c.on('state', (s) => s.state === 'closed' && console.log(s.code));
  c.on('gap', ({ room }) => console.log('could not recover', room));
  c.connect();
  try {
    const ack: Ack = await c.send('hello', { replyTo: '1-0' });
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
