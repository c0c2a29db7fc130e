// Declarations of wschat-client/seal (src/seal.js): end-to-end
// encryption of private and room messages and of files, on WebCrypto.
// docs/encryption.md is the format.

/** The format version every sealed object carries as v. */
export const VERSION: 1;
export const PRIVATE_ALG: 'X25519-HKDF-SHA256-A256GCM';
export const ROOM_ALG: 'PBKDF2-SHA256-A256GCM';
export const FILE_ALG: 'A256GCM';
export const ROOM_ITERATIONS: number;
/** Bounds: devices and accounts one private message is sealed for, a name's UTF-8 bytes, a body's bytes, a file's bytes. */
export const MAX_DEVICES: number;
export const MAX_RECIPIENTS: number;
export const MAX_NAME: number;
export const MAX_BODY: number;
export const MAX_FILE: number;

/** This device's key pair: keep privateKey as the CryptoKey it is (not extractable); publish raw. */
export interface DeviceKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The 32-byte public key in base64url. */
  raw: string;
  keyId: string;
}

/** A published public key, read. */
export interface PublicKey {
  publicKey: CryptoKey;
  raw: string;
  keyId: string;
}

/** A file sealed with sealFile and uploaded: what a sealed message carries about it. */
export interface SealedFileInfo {
  name: string;
  type: string;
  size: number;
  url: string;
  /** The key and nonce sealFile returned, in base64url. */
  key: string;
  nonce: string;
}

/** What a sealed message held, or why it could not be opened (never thrown). */
export type Opened =
  | { ok: true; text: string; file?: SealedFileInfo }
  | { ok: false; reason: 'unsupported-version' | 'malformed' | 'not-for-this-device' | 'unknown-sender-key' | 'tampered' | 'wrong-passphrase' };

/** A sealed private message, JSON-ready (docs/encryption.md, "Private messages"). */
export interface SealedPrivate {
  v: 1;
  alg: string;
  sender: string;
  skid: string;
  to: string[];
  nonce: string;
  kc: string;
  keys: { kid: string; wk: string }[];
  ct: string;
}

/** A sealed room message, JSON-ready. */
export interface SealedRoom {
  v: 1;
  alg: string;
  sender: string;
  kid: string;
  nonce: string;
  ct: string;
}

/** A room's key from its passphrase: id is public, key never leaves WebCrypto. */
export interface RoomKey {
  id: string;
  key: CryptoKey;
}

export function generateDeviceKey(): Promise<DeviceKey>;
export function importPublicKey(raw: string): Promise<PublicKey | null>;
export function keyId(rawPublicKey: Uint8Array): Promise<string>;

export function sealPrivate(
  msg: {
    text: string;
    file?: SealedFileInfo;
    sender: { name: string; device: { keyId: string; privateKey: CryptoKey; publicKey: CryptoKey }; devices?: { publicKey: CryptoKey }[] };
    recipients: { name: string; devices?: { publicKey: CryptoKey }[] }[];
  },
  rng?: (n: number) => Uint8Array,
): Promise<SealedPrivate>;
/** sealed is what the server carried (unknown until read); sender is who the server says sent it. */
export function openPrivate(
  sealed: unknown,
  who: { me: { name: string; device: { keyId: string; privateKey: CryptoKey } }; sender: { name: string; devices: { publicKey: CryptoKey }[] } },
): Promise<Opened>;

/** Costs ROOM_ITERATIONS: keep the key for the session. */
export function roomKey(passphrase: string, room: string): Promise<RoomKey>;
export function sealRoom(
  msg: { text: string; file?: SealedFileInfo; key: RoomKey; room: string; sender: string },
  rng?: (n: number) => Uint8Array,
): Promise<SealedRoom>;
export function openRoom(sealed: unknown, where: { key: RoomKey; room: string; sender: string }): Promise<Opened>;

/** Encrypts bytes with a new key: upload ciphertext, and put key and nonce in the sealed message's file. */
export function sealFile(bytes: Uint8Array, rng?: (n: number) => Uint8Array): Promise<{ ciphertext: Uint8Array; key: string; nonce: string }>;
export function openFile(
  ciphertext: Uint8Array,
  file?: { key?: string; nonce?: string },
): Promise<{ ok: true; bytes: Uint8Array } | { ok: false; reason: 'malformed' | 'tampered' }>;

/** 60 digits in 12 groups of 5, for a and b with every device's raw public key. */
export function safetyNumber(a: { name: string; keys: string[] }, b: { name: string; keys: string[] }): Promise<string>;

export function toBase64url(bytes: Uint8Array): string;
export function fromBase64url(s: unknown): Uint8Array | null;
