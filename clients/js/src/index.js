// wschat-client: a client for wschat, an ES module with no dependencies.
// ChatClient keeps one person's connection; the rest is the HTTP side
// (accounts, files) and the protocol's small parts. Encryption is in
// ./seal.js (wschat-client/seal).

export { ChatClient } from './client.js';
export { ChatError, httpBase, serverConfig, login, register, renewToken, upload } from './http.js';
export { CLOSE, FOR_NOW, KEPT_OUT, NOT_LET_IN, TAKEN, TOO_BIG, closeWords, parseReason, isID, compareIDs, newClientID, backoff, tokenExpiry } from './protocol.js';
