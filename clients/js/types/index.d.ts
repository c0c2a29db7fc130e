// Declarations of wschat-client (src/index.js). docs/protocol.md
// describes every event and field.

/** An event as the server sends it with format=json. */
export interface ChatEvent {
  type: string;
  code?: string;
  room?: string;
  id?: string;
  time?: string;
  name?: string;
  to?: string;
  text?: string;
  online?: string[];
  count?: number;
  history?: boolean;
  recovered?: boolean;
  file?: FileInfo;
  upload?: string;
  reply_to?: string;
  reply_name?: string;
  edited?: boolean;
  reactions?: { emoji: string; count: number; names: string[] }[];
  emoji?: string;
  on?: boolean;
  action_id?: string;
  client_id?: string;
  repeat?: boolean;
  rooms?: RoomCount[];
  messages?: ChatEvent[];
  before?: string;
  more?: boolean;
  partial?: boolean;
}

export interface RoomCount {
  name: string;
  count: number;
  messages: number;
  last?: string;
  unread?: number;
  unread_more?: boolean;
}

export interface FileInfo {
  name: string;
  size: number;
  type: string;
  url: string;
}

/** What a request that changes something resolves with once the server took it. */
export interface Ack {
  client_id: string;
  /** The message it kept in the room, or ''. */
  id: string;
  /** The server had taken it before (it was sent again). */
  repeat?: boolean;
}

export type State = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StateEvent {
  state: State;
  /** Before a reconnection: the wait, in ms, when it is due (ms since the epoch), and the attempt. */
  delay?: number;
  at?: number;
  attempt?: number;
  /** Why: a code (name-taken, token-expired, kicked, banned, ...) or ''. */
  code?: string;
  text?: string;
  /** The WebSocket close code of the connection that ended (reconnecting, closed). */
  close?: number;
  again?: boolean;
}

/** A request of the outbox: what the server is asked to do, with its client_id. */
export interface OutboxRequest {
  type: 'message' | 'private' | 'edit' | 'delete' | 'react';
  client_id: string;
  [field: string]: unknown;
}

/** A request of the outbox as a store keeps it; tag is the app's own. */
export interface OutboxEntry {
  request: OutboxRequest;
  tag?: unknown;
}

/** Where the outbox is kept beyond the client (a page's localStorage, say). */
export interface OutboxStore {
  /** What waited when the last client went away, oldest first; what does not read as a request is dropped. */
  load(): OutboxEntry[] | null | undefined;
  /** Called after each change with everything that waits. */
  save(entries: OutboxEntry[]): void;
}

/** A request of the outbox answered: ack when the server took it, error when refused for good. */
export interface Settled {
  client_id: string;
  request: OutboxRequest;
  tag?: unknown;
  ack?: Ack;
  error?: ChatError;
}

export interface WelcomeEvent extends ChatEvent {
  /** A reconnection, not the first connection. */
  again: boolean;
  /** A move to another room on the same connection. */
  moved: boolean;
}

export interface Refusal {
  code: string;
  text?: string;
  for_now?: boolean;
  client_id?: string;
  /** The token could not be renewed (tried again every 10 s while it lasts). */
  renewal?: boolean;
}

export interface ClientEvents {
  state: StateEvent;
  welcome: WelcomeEvent;
  caughtup: { room: string };
  gap: { room: string };
  disconnected: { code: number; reason: string; text: string; welcomed: boolean };
  token: { token: string };
  outbox: { waiting: number };
  settled: Settled;
  moderation: ChatEvent;
  report: ChatEvent;
  refusal: Refusal;
  message: ChatEvent;
  file: ChatEvent;
  private: ChatEvent;
  edit: ChatEvent;
  delete: ChatEvent;
  react: ChatEvent;
  join: ChatEvent;
  leave: ChatEvent;
  typing: ChatEvent;
  mention: ChatEvent;
  notice: ChatEvent;
  who: ChatEvent;
  rooms: ChatEvent;
  renewed: ChatEvent;
}

export interface ClientOptions {
  /** The server, http(s):// or ws(s)://; default: this page's origin. */
  server?: string;
  /** A guest's name; with tokens the name is the token's. */
  name?: string;
  token?: string;
  room?: string;
  /** The id of the last message seen in room, from an earlier visit. */
  since?: string;
  /** Returns a new token for the one given, before it runs out or once refused; default: POST /api/token; null: never renewed. */
  renewToken?: ((token: string) => Promise<string>) | null;
  /** A WebSocket constructor where there is no global one. */
  WebSocket?: { new (url: string): WebSocket };
  firstRetryMs?: number;
  maxRetryMs?: number;
  /** How long a connection may take to bring its welcome before it is tried again; default 15000. */
  connectTimeoutMs?: number;
  /** How long the server may send nothing while a request waits for its answer before the connection is given up and tried again (a network gone silent); default 15000. */
  answerTimeoutMs?: number;
  random?: () => number;
  /** Keeps the outbox beyond this client; default: memory. */
  outbox?: OutboxStore;
  /** Sees each frame first and hands deliver the frame to read, in order (an app that opens sealed messages). */
  inbound?: (data: string, deliver: (data: string) => void) => void;
  /** Sees each request of the outbox before it goes: what to send instead, null to hold it until retryNow, or a throw (a ChatError) to refuse it. */
  outbound?: (request: OutboxRequest) => object | null | Promise<object | null>;
}

export interface UploadOptions {
  name?: string;
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
}

export class ChatClient {
  constructor(opts?: ClientOptions);
  readonly state: State;
  readonly name: string;
  readonly room: string;
  readonly online: string[];
  readonly uploadCredential: string;
  readonly token: string;
  readonly caughtUp: boolean;
  on<K extends keyof ClientEvents>(type: K, fn: (ev: ClientEvents[K]) => void): () => void;
  connect(): void;
  close(): void;
  lastID(room?: string): string;
  /** clientID: the request's client_id (unique: see newClientID), to know the message when it comes back. */
  /** tag: the app's own, kept with the request (JSON, when the outbox has a store). */
  send(text: string, opts?: { replyTo?: string; clientID?: string; tag?: unknown }): Promise<Ack>;
  sendPrivate(to: string, text: string, opts?: { clientID?: string; tag?: unknown }): Promise<Ack>;
  edit(id: string, text: string, opts?: { tag?: unknown }): Promise<Ack>;
  remove(id: string, opts?: { tag?: unknown }): Promise<Ack>;
  react(id: string, emoji: string, opts?: { tag?: unknown }): Promise<Ack>;
  /** Puts a request of the outbox through it as given, with fields the methods above do not take. */
  request(request: Omit<OutboxRequest, 'client_id'> & { client_id?: string }, opts?: { tag?: unknown }): Promise<Ack>;
  /** Sends text as it is on the open connection (a command, or a request whose answer the app reads itself); false when not open. */
  command(text: string): boolean;
  /** What waits in the outbox, oldest first. */
  waiting(): (OutboxEntry & { sent: boolean })[];
  /** Takes a request out of the outbox (refused with 'cancelled'); false when it was not there. */
  cancel(clientID: string): boolean;
  /** Connects now when a reconnection waits; sends what waits now when caught up; false otherwise. */
  retryNow(): boolean;
  typing(): boolean;
  join(room: string): Promise<ChatEvent>;
  history(opts?: { before?: string; limit?: number }): Promise<ChatEvent>;
  search(text: string, before?: string): Promise<ChatEvent>;
  rooms(seen?: Record<string, string>): Promise<ChatEvent>;
  uploadFile(file: Blob, opts?: UploadOptions & { to?: string }): Promise<FileInfo>;
  renew(token: string): void;
}

export class ChatError extends Error {
  constructor(code: string, words?: string, status?: number);
  /** The server's machine-readable code, or the client's own: network, aborted, offline, disconnected, closed, too-big, outbox-full, superseded, cancelled, not-sent. */
  readonly code: string;
  /** The HTTP status, for an HTTP refusal; 0 otherwise. */
  readonly status: number;
}

export interface ServerConfig {
  auth: 'none' | 'accounts' | 'token';
  signup: boolean;
  maxMessage: number;
  maxFile: number;
  origins?: string[];
}

export interface TokenAnswer {
  token: string;
  name: string;
  expires: string;
}

export function httpBase(server?: string): string;
export function serverConfig(server?: string): Promise<ServerConfig>;
export function login(server: string | undefined, name: string, password: string): Promise<TokenAnswer>;
export function register(server: string | undefined, name: string, password: string): Promise<TokenAnswer>;
export function renewToken(server: string | undefined, token: string): Promise<TokenAnswer>;
export function upload(
  server: string | undefined,
  file: Blob,
  where: { room: string } | { to: string },
  credential: string,
  opts?: UploadOptions,
): Promise<FileInfo>;

export const CLOSE: Readonly<{ NORMAL: 1000; GOING_AWAY: 1001; ABNORMAL: 1006; POLICY: 1008; TOO_BIG: 1009 }>;
export const FOR_NOW: ReadonlySet<string>;
export const NOT_LET_IN: ReadonlySet<string>;
/** Close codes after which a client does not come back by itself: kicked, banned, invite-only. */
export const KEPT_OUT: ReadonlySet<string>;
export const TOO_BIG: 'too-big';
/** The code of a name in use. */
export const TAKEN: 'name-taken';
export const closeWords: Readonly<Record<number, string>>;
export function parseReason(reason: string | undefined): { code: string; words: string };
export function isID(s: unknown): s is string;
export function compareIDs(a: string, b: string): -1 | 0 | 1;
export function newClientID(): string;
export function backoff(n: number, first?: number, max?: number, random?: () => number): number;
export function tokenExpiry(token: string): number;
