// The app: sign in, then chat. The session (name or token, and server)
// is kept for the tab, so that a reload comes back to the chat.

import { useCallback, useEffect, useState } from 'react';
import { SignIn } from './SignIn';
import { ChatScreen } from './Chat';
import { useChat, type Session } from './useChat';
import { chatServer } from './server';

const KEPT = 'wschat-react.session';

function kept(): Session | null {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEPT) ?? 'null');
    return s && typeof s.server === 'string' ? s : null;
  } catch {
    return null;
  }
}

export function App() {
  const server = chatServer();
  const [session, setSession] = useState<Session | null>(() => {
    const s = kept();
    return s && s.server === server ? s : null;
  });
  const [why, setWhy] = useState('');
  const chat = useChat(session);

  const enter = useCallback((s: Session) => {
    sessionStorage.setItem(KEPT, JSON.stringify(s));
    setWhy('');
    setSession(s);
  }, []);
  const leave = useCallback((reason = '') => {
    sessionStorage.removeItem(KEPT);
    setWhy(reason);
    setSession(null);
  }, []);

  // A refusal for good (a taken name, an expired token) goes back to signing in, saying why.
  const closed = chat.view.state.state === 'closed' ? chat.view.state : null;
  useEffect(() => {
    if (closed) leave(`${closed.text || 'Disconnected'} (${closed.code})`);
  }, [closed, leave]);

  if (!session) return <SignIn server={server} onSession={enter} why={why} />;
  return <ChatScreen chat={chat} onLeave={() => leave()} />;
}
