// Signing in: a name where the server lets anyone in, an account's login
// or registration where it has accounts, a token where tokens come from
// another service. GET /api/config says which.

import { useEffect, useState, type FormEvent } from 'react';
import { ChatError, login, register, serverConfig, type ServerConfig } from 'wschat-client';
import type { Session } from './useChat';

export function SignIn({ server, onSession, why }: { server: string; onSession: (s: Session) => void; why: string }) {
  const [config, setConfig] = useState<ServerConfig | null>(null);
  const [error, setError] = useState(why);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [room, setRoom] = useState('');

  useEffect(() => {
    serverConfig(server).then(setConfig, (e: ChatError) =>
      setError(`Cannot reach the chat at ${server} (${e.code}). If the app is on another origin, the server needs it in -origins.`));
  }, [server]);

  const account = async (e: FormEvent, how: typeof login) => {
    e.preventDefault();
    try {
      const t = await how(server, name, password);
      onSession({ server, token: t.token, room });
    } catch (err) {
      const c = err as ChatError;
      setError(`${c.message} (${c.code})`);
    }
  };

  if (!config) return <main className="signin"><h1>wschat</h1><p role="alert">{error || 'Connecting…'}</p></main>;
  return (
    <main className="signin">
      <h1>wschat</h1>
      {error && <p role="alert">{error}</p>}
      <form onSubmit={(e) => (config.auth === 'accounts' ? account(e, login) : (e.preventDefault(), onSession({ server, name, token: token || undefined, room })))}>
        {config.auth !== 'token' && (
          <label>Name <input name="name" value={name} onChange={(e) => setName(e.target.value)} autoComplete="username" required /></label>
        )}
        {config.auth === 'accounts' && (
          <label>Password <input name="password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" required /></label>
        )}
        {config.auth === 'token' && (
          <label>Token <input name="token" value={token} onChange={(e) => setToken(e.target.value)} required /></label>
        )}
        <label>Room <input name="room" value={room} onChange={(e) => setRoom(e.target.value)} placeholder="lobby" /></label>
        <button type="submit">{config.auth === 'accounts' ? 'Log in' : 'Join'}</button>
        {config.auth === 'accounts' && config.signup && (
          <button type="button" onClick={(e) => account(e, register)}>Register</button>
        )}
      </form>
    </main>
  );
}
