// The chat: rooms with unread counts and people beside the conversation,
// private conversations, who is typing, history read back by scrolling
// up, files shared with previews, and the connection's state.

import { useEffect, useRef, useState, type FormEvent } from 'react';
import { roomConv, dmConv, type ChatView, type Line, type Upload } from './useChat';
import type { useChat } from './useChat';

type Chat = ReturnType<typeof useChat>;

/** status says how the connection stands, in words. */
function status(v: ChatView): { text: string; kind: string } {
  const s = v.state;
  switch (s.state) {
    case 'open':
      return { text: v.waiting ? `Connected — sending ${v.waiting}…` : 'Connected', kind: 'ok' };
    case 'connecting':
      return { text: s.again ? 'Reconnecting…' : 'Connecting…', kind: 'busy' };
    case 'reconnecting':
      return { text: `Connection lost${s.code ? ` (${s.code})` : ''} — reconnecting in ${Math.ceil((s.delay ?? 0) / 1000)} s`, kind: 'warn' };
    case 'closed':
      return { text: `Disconnected: ${s.code}`, kind: 'error' };
    default:
      return { text: '', kind: '' };
  }
}

function FileLine({ f }: { f: NonNullable<Line['file']> }) {
  const picture = /^image\/(png|jpeg|gif|webp)$/.test(f.type);
  return (
    <a className="file" href={f.url} target="_blank" rel="noreferrer">
      {picture ? <img src={f.url} alt={f.name} /> : null}
      <span>{f.name} ({Math.ceil(f.size / 1024)} KiB)</span>
    </a>
  );
}

function Lines({ lines, me, more, onOlder }: { lines: Line[]; me: string; more: boolean; onOlder: () => void }) {
  const end = useRef<HTMLLIElement>(null);
  const last = lines.at(-1)?.key;
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end' }); // returns a promise in some browsers: not a cleanup
  }, [last]);
  return (
    <ol className="log" aria-label="messages" onScroll={(e) => e.currentTarget.scrollTop === 0 && more && onOlder()}>
      {more && <li className="older"><button type="button" onClick={onOlder}>Show older messages</button></li>}
      {lines.map((l) => (
        <li key={l.key} className={l.notice ? 'notice' : l.name === me ? 'mine' : ''} data-pending={l.pending || undefined} data-failed={l.failed}>
          {l.notice ? <span className="text">{l.text}</span> : (
            <>
              <span className="name">{l.name}</span>
              {l.file ? <FileLine f={l.file} /> : null}
              {l.text && <span className="text">{l.text}</span>}
              {l.edited && <span className="edited"> (edited)</span>}
              {l.pending && <span className="state"> sending…</span>}
              {l.failed && <span className="state"> not sent: {l.failed}</span>}
            </>
          )}
        </li>
      ))}
      <li ref={end} className="end" aria-hidden />
    </ol>
  );
}

function UploadBar({ u }: { u: Upload }) {
  return (
    <div className="upload" role="status">
      Sharing {u.name}… <progress max={u.total || 1} value={u.sent} />
      <button type="button" onClick={u.cancel}>Cancel</button>
    </div>
  );
}

export function ChatScreen({ chat, onLeave }: { chat: Chat; onLeave: () => void }) {
  const { view: v, open } = chat;
  const [text, setText] = useState('');
  const [newRoom, setNewRoom] = useState('');
  const fileInput = useRef<HTMLInputElement>(null);
  const st = status(v);
  const convs = Object.keys(v.lines).filter((k) => k.startsWith('dm:'));
  const title = open.startsWith('dm:') ? `Private with ${open.slice(3)}` : v.room;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    chat.send(text);
    setText('');
  };
  const roomNames = [...new Set([v.room, ...v.rooms.map((r) => r.name)].filter(Boolean))];

  return (
    <div className="chat">
      <header>
        <strong>wschat</strong>
        <span className="status" data-kind={st.kind} role="status">{st.text}</span>
        <span className="me">{v.me}</span>
        <button type="button" onClick={onLeave}>Leave</button>
      </header>
      <nav>
        <h2>Rooms</h2>
        <ul className="rooms">
          {roomNames.map((name) => {
            const conv = roomConv(name);
            const unread = conv === open ? 0 : v.unread[conv] ?? 0;
            return (
              <li key={conv} aria-current={conv === open || undefined}>
                <button type="button" onClick={() => chat.join(name)}>{name}</button>
                {unread > 0 && <span className="badge" aria-label={`${unread} unread`}>{unread}</span>}
              </li>
            );
          })}
        </ul>
        <form onSubmit={(e) => { e.preventDefault(); if (newRoom) chat.join(newRoom); setNewRoom(''); }}>
          <input aria-label="new room" placeholder="another room" value={newRoom} onChange={(e) => setNewRoom(e.target.value)} />
        </form>
        <h2>People</h2>
        <ul className="people">
          {v.online.map((n) => (
            <li key={n}>{n === v.me ? <span>{n} (you)</span> : <button type="button" onClick={() => chat.openPrivate(n)}>{n}</button>}</li>
          ))}
        </ul>
        {convs.length > 0 && <h2>Private</h2>}
        <ul className="privates">
          {convs.map((conv) => {
            const unread = conv === open ? 0 : v.unread[conv] ?? 0;
            return (
              <li key={conv} aria-current={conv === open || undefined}>
                <button type="button" onClick={() => chat.setOpen(conv)}>{conv.slice(3)}</button>
                {unread > 0 && <span className="badge" aria-label={`${unread} unread`}>{unread}</span>}
              </li>
            );
          })}
        </ul>
      </nav>
      <main>
        <h1>{title}</h1>
        <Lines lines={v.lines[open] ?? []} me={v.me} more={open === roomConv(v.room) && (v.more[open] ?? false)} onOlder={chat.loadOlder} />
        <p className="typing" aria-live="polite">
          {open === roomConv(v.room) && v.typing.length > 0 ? `${v.typing.join(', ')} ${v.typing.length === 1 ? 'is' : 'are'} typing…` : ''}
        </p>
        {v.upload && <UploadBar u={v.upload} />}
        <form className="compose" onSubmit={submit}>
          <button type="button" aria-label="share a file" onClick={() => fileInput.current?.click()}>📎</button>
          <input ref={fileInput} type="file" hidden onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) chat.share(f);
            e.target.value = '';
          }} />
          <input aria-label="message" value={text} onChange={(e) => { setText(e.target.value); chat.typing(); }}
            placeholder={open.startsWith('dm:') ? `Message ${open.slice(3)}` : `Message ${v.room}`} />
          <button type="submit">Send</button>
        </form>
      </main>
    </div>
  );
}

export { dmConv };
