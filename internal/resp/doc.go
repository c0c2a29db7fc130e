// Package resp is a Redis client written on the standard library: a
// parser for every reply type of the Redis serialization protocol (RESP2
// and RESP3), a command writer, a pipelining client that reconnects by
// itself, and pub/sub subscriptions that survive a reconnect.
//
// The protocol follows the "Redis serialization protocol specification"
// (redis.io, docs/reference/protocol-spec); comments name its sections in
// quotes, for example "Bulk strings" or "Client handshake".
//
// # Replies
//
// [Reader] parses one reply at a time into a [Value]. It trusts nothing
// it reads: every line must end in CRLF, lengths are checked against
// [Limits] before anything is allocated, and memory grows only as bytes
// arrive. RESP2's null bulk string ($-1) and null array (*-1) are read as
// a [Null] value, the same as RESP3's null. Attributes (|) are read and
// attached to the value that follows them ([Value.Attrs]); streamed
// strings and aggregates ($?, *?), which Redis never sends, are refused.
//
// # Client
//
// [Dial] opens a [Client] from a redis:// or rediss:// URL. The client
// authenticates (AUTH), asks for RESP3 with HELLO 3 and falls back to RESP2
// when the server refuses, then selects the database. [Client.Do] is safe
// for concurrent use: concurrent calls share one connection, one goroutine
// writes them in batches and replies are matched first in, first out.
// A Redis error reply comes back as an [*Error]; anything else is a
// network or protocol error.
//
// When the connection breaks, every call in flight fails (it is not
// retried: the command may have run) and the client reconnects with
// capped exponential backoff and jitter. Calls made while it is
// disconnected wait for the next connection until their context ends.
//
// # Pub/sub
//
// [Client.Subscribe] opens a [Subscription] on a connection of its own.
// Its events arrive on a bounded channel. After a reconnect it subscribes
// again and sends an [EventReconnected] event, so that the consumer can
// catch up on what it missed from elsewhere (a stream, for example).
package resp
