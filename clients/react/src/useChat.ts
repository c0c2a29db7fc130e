// useChat: the chat as React state, over the client library's ChatClient
// (clients/js). It keeps the conversations (the rooms visited, and the
// private ones), who is online and typing, the rooms with their unread
// counts, the upload under way and the connection's state; and gives the
// actions an app needs. Everything the person sends goes through the
// library's outbox: it waits while the connection is down and is
// delivered once, and shows as pending until the server took it.

import { useCallback, useEffect, useRef, useState } from 'react';
import {
  ChatClient, ChatError, compareIDs, newClientID,
  type ChatEvent, type FileInfo, type RoomCount, type StateEvent,
} from 'wschat-client';

/** Line is one line of a conversation. */
export interface Line {
  key: string; // the message's id, or its client_id while it waits
  id?: string;
  name: string;
  text: string;
  time?: string;
  file?: FileInfo; // its url absolute
  pending?: boolean;
  failed?: string; // the code it was refused with
  edited?: boolean;
  notice?: boolean;
}

/** An upload under way. */
export interface Upload {
  name: string;
  sent: number;
  total: number;
  cancel: () => void;
}

/** Session is who signs in, where. */
export interface Session {
  server: string;
  name?: string;
  token?: string;
  room?: string;
}

/** ChatView is what the app shows. */
export interface ChatView {
  state: StateEvent;
  me: string;
  room: string;
  online: string[];
  rooms: RoomCount[];
  lines: Record<string, Line[]>; // by conversation: room:KEY or dm:KEY
  unread: Record<string, number>; // by conversation
  more: Record<string, boolean>; // older messages may be read back
  typing: string[];
  upload: Upload | null;
  waiting: number; // requests in the outbox
}

/** roomConv and dmConv name conversations. */
export const roomConv = (room: string) => `room:${room.toLowerCase()}`;
export const dmConv = (name: string) => `dm:${name.toLowerCase()}`;

const TYPING_SHOWN_MS = 3000;
const ROOMS_EVERY_MS = 5000;

const empty: ChatView = {
  state: { state: 'idle' }, me: '', room: '', online: [], rooms: [], lines: {}, unread: {}, more: {}, typing: [], upload: null, waiting: 0,
};

/** put adds line to a conversation's lines in id order, once; a pending line of the same client_id gives way. */
function put(lines: Line[] = [], line: Line, clientID = ''): Line[] {
  const out = lines.filter((l) => !(clientID && l.key === clientID) && !(line.id && l.id === line.id));
  if (!line.id) return [...out, line];
  const at = out.findIndex((l) => l.id !== undefined && compareIDs(l.id, line.id!) > 0);
  if (at < 0) {
    const firstPending = out.findIndex((l) => l.pending);
    return firstPending < 0 ? [...out, line] : [...out.slice(0, firstPending), line, ...out.slice(firstPending)];
  }
  return [...out.slice(0, at), line, ...out.slice(at)];
}

/** lineOf is the line of a message, file or private event. */
function lineOf(ev: ChatEvent, server: string): Line {
  const file = ev.file ? { ...ev.file, url: new URL(ev.file.url, server).href } : undefined;
  return {
    key: ev.id || `${ev.time}-${ev.name}-${ev.text}`, id: ev.id, name: ev.name ?? '', text: ev.text ?? '', time: ev.time,
    file, edited: ev.edited,
  };
}

export function useChat(session: Session | null) {
  const [view, setView] = useState<ChatView>(empty);
  const [open, setOpenState] = useState('');
  const clientRef = useRef<ChatClient | null>(null);
  const openRef = useRef('');
  const seen = useRef<Record<string, string>>({});
  const typingAt = useRef(new Map<string, number>());
  const serverRef = useRef('');

  const setOpen = useCallback((conv: string) => {
    openRef.current = conv;
    setOpenState(conv);
    setView((v) => ({ ...v, unread: { ...v.unread, [conv]: 0 } }));
  }, []);

  useEffect(() => {
    if (!session) return;
    const server = session.server;
    serverRef.current = server;
    const c = new ChatClient({ server, name: session.name, token: session.token, room: session.room });
    clientRef.current = c;
    const update = (f: (v: ChatView) => ChatView) => setView(f);
    const note = (text: string) => {
      const conv = openRef.current || roomConv(c.room);
      update((v) => ({ ...v, lines: { ...v.lines, [conv]: put(v.lines[conv], { key: newClientID(), name: '', text, notice: true }) } }));
    };
    const askRooms = () => {
      if (!c.caughtUp) return;
      seen.current[c.room.toLowerCase()] = c.lastID();
      c.rooms(seen.current).then((ev) => {
        const rooms = ev.rooms ?? [];
        update((v) => {
          const unread = { ...v.unread };
          for (const r of rooms) if (r.name.toLowerCase() !== c.room.toLowerCase()) unread[roomConv(r.name)] = r.unread ?? 0;
          return { ...v, rooms, unread };
        });
      }, () => {});
    };
    const offs = [
      c.on('state', (s) => update((v) => ({ ...v, state: s }))),
      c.on('welcome', (w) => {
        const conv = roomConv(c.room);
        if (!openRef.current || openRef.current.startsWith('room:')) setOpen(conv);
        update((v) => ({ ...v, me: c.name, room: c.room, online: [...c.online], more: { ...v.more, [conv]: v.more[conv] ?? true } }));
        if (w.again && !w.moved) note('Reconnected');
      }),
      c.on('caughtup', askRooms),
      c.on('gap', () => note('Some messages from while you were away could not be recovered')),
      c.on('join', () => update((v) => ({ ...v, online: [...c.online] }))),
      c.on('leave', () => update((v) => ({ ...v, online: [...c.online] }))),
      c.on('outbox', ({ waiting }) => update((v) => ({ ...v, waiting }))),
      c.on('refusal', (r) => note(r.for_now ? `Not sent yet (${r.code}): trying again` : r.text || r.code)),
      c.on('typing', (ev) => {
        if (!ev.name || ev.name === c.name) return;
        typingAt.current.set(ev.name, Date.now());
        update((v) => ({ ...v, typing: [...typingAt.current.keys()] }));
      }),
    ];
    const onPost = (ev: ChatEvent) => {
      const conv = roomConv(ev.room ?? c.room);
      if (ev.name) typingAt.current.delete(ev.name);
      update((v) => ({ ...v, typing: [...typingAt.current.keys()], lines: { ...v.lines, [conv]: put(v.lines[conv], lineOf(ev, server), ev.client_id) } }));
    };
    offs.push(c.on('message', onPost), c.on('file', onPost));
    offs.push(c.on('private', (ev) => {
      const other = ev.name === c.name ? ev.to ?? '' : ev.name ?? '';
      const conv = dmConv(other);
      update((v) => ({
        ...v,
        lines: { ...v.lines, [conv]: put(v.lines[conv], lineOf(ev, server), ev.client_id) },
        unread: ev.name !== c.name && openRef.current !== conv && !ev.history ? { ...v.unread, [conv]: (v.unread[conv] ?? 0) + 1 } : v.unread,
      }));
    }));
    offs.push(c.on('edit', (ev) => {
      const conv = roomConv(ev.room ?? c.room);
      update((v) => ({ ...v, lines: { ...v.lines, [conv]: (v.lines[conv] ?? []).map((l) => (l.id === ev.id ? { ...l, text: ev.text ?? '', edited: true } : l)) } }));
    }));
    offs.push(c.on('delete', (ev) => {
      const conv = roomConv(ev.room ?? c.room);
      update((v) => ({ ...v, lines: { ...v.lines, [conv]: (v.lines[conv] ?? []).filter((l) => l.id !== ev.id) } }));
    }));
    const tick = setInterval(() => {
      const now = Date.now();
      let changed = false;
      for (const [name, at] of typingAt.current) {
        if (now - at > TYPING_SHOWN_MS) {
          typingAt.current.delete(name);
          changed = true;
        }
      }
      if (changed) update((v) => ({ ...v, typing: [...typingAt.current.keys()] }));
    }, 1000);
    const rooms = setInterval(askRooms, ROOMS_EVERY_MS);
    // Connect on the next task, not now: in development React's StrictMode
    // runs this effect, its cleanup and the effect again at once, and a
    // first connection that reached the server would still hold the name
    // when the second asked for it (name-taken, for good).
    const start = setTimeout(() => c.connect(), 0);
    return () => {
      clearTimeout(start);
      for (const off of offs) off();
      clearInterval(tick);
      clearInterval(rooms);
      c.close();
      clientRef.current = null;
      openRef.current = '';
      setView(empty);
    };
  }, [session, setOpen]);

  /** send sends text to the open conversation: shown at once as pending, then as the server has it. */
  const send = useCallback((text: string) => {
    const c = clientRef.current;
    if (!c || !text.trim()) return;
    const conv = openRef.current || roomConv(c.room);
    const cid = newClientID();
    const pending: Line = { key: cid, name: c.name, text, pending: true };
    setView((v) => ({ ...v, lines: { ...v.lines, [conv]: put(v.lines[conv], pending) } }));
    const sent = conv.startsWith('dm:') ? c.sendPrivate(conv.slice(3), text, { clientID: cid }) : c.send(text, { clientID: cid });
    sent.then(
      () => setView((v) => ({ ...v, lines: { ...v.lines, [conv]: (v.lines[conv] ?? []).filter((l) => !(l.key === cid && l.pending)) } })),
      (e: ChatError) => setView((v) => ({
        ...v,
        lines: { ...v.lines, [conv]: (v.lines[conv] ?? []).map((l) => (l.key === cid ? { ...l, pending: false, failed: e.code } : l)) },
      })),
    );
  }, []);

  /** join moves to room, and opens it. */
  const join = useCallback(async (room: string) => {
    const c = clientRef.current;
    if (!c) return;
    if (room.toLowerCase() === c.room.toLowerCase()) {
      setOpen(roomConv(c.room));
      return;
    }
    seen.current[c.room.toLowerCase()] = c.lastID();
    try {
      await c.join(room);
      setOpen(roomConv(c.room));
    } catch (e) {
      const err = e as ChatError;
      setView((v) => {
        const conv = openRef.current;
        return { ...v, lines: { ...v.lines, [conv]: put(v.lines[conv], { key: newClientID(), name: '', text: `Could not join ${room}: ${err.code}`, notice: true }) } };
      });
    }
  }, [setOpen]);

  /** openPrivate opens the private conversation with name. */
  const openPrivate = useCallback((name: string) => setOpen(dmConv(name)), [setOpen]);

  /** typing tells the room the person is typing (the library sends at most one every 2 s). */
  const typing = useCallback(() => {
    if (openRef.current.startsWith('room:')) clientRef.current?.typing();
  }, []);

  /** loadOlder reads back the page before the oldest message of the open room. */
  const loadOlder = useCallback(async () => {
    const c = clientRef.current;
    const conv = openRef.current;
    if (!c || conv !== roomConv(c.room)) return;
    let before = '';
    setView((v) => {
      before = (v.lines[conv] ?? []).find((l) => l.id)?.id ?? '';
      return v;
    });
    try {
      const page = await c.history({ before: before || undefined, limit: 50 });
      setView((v) => {
        let lines = v.lines[conv] ?? [];
        for (const m of page.messages ?? []) lines = put(lines, lineOf(m, serverRef.current));
        return { ...v, lines: { ...v.lines, [conv]: lines }, more: { ...v.more, [conv]: page.more === true } };
      });
    } catch {
      // Offline: the button stays for later.
    }
  }, []);

  /** share uploads file to the open conversation, with progress and a way to cancel. */
  const share = useCallback(async (file: File) => {
    const c = clientRef.current;
    if (!c) return;
    const conv = openRef.current;
    const ac = new AbortController();
    const upload: Upload = { name: file.name, sent: 0, total: file.size, cancel: () => ac.abort() };
    setView((v) => ({ ...v, upload }));
    try {
      await c.uploadFile(file, {
        to: conv.startsWith('dm:') ? conv.slice(3) : undefined,
        signal: ac.signal,
        onProgress: (sent, total) => setView((v) => ({ ...v, upload: v.upload && { ...v.upload, sent, total } })),
      });
    } catch (e) {
      const err = e as ChatError;
      const text = err.code === 'aborted' ? `Sharing ${file.name} was cancelled: nobody got it`
        : err.code === 'already-shared' ? `${file.name} had reached the server whole before the cancel: it is shared`
          : `Could not share ${file.name}: ${err.code}`;
      setView((v) => ({ ...v, lines: { ...v.lines, [conv]: put(v.lines[conv], { key: newClientID(), name: '', text, notice: true }) } }));
    } finally {
      setView((v) => ({ ...v, upload: null }));
    }
  }, []);

  return { view, open, setOpen, send, join, openPrivate, typing, loadOlder, share };
}
