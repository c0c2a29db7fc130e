package main

import "wschat/internal/chat"

// How the chat's broadcasts become frames on every connection. The chat
// (package chat) encodes each broadcast once per wire format through
// frameEncoder, which makes it a WebSocket text frame, and for the peers
// that negotiated permessage-deflate a compressed one, compressed once
// for all of them (RFC 7692 §7.2.1, with no context takeover, so that
// the same bytes are right for every peer). The very same bytes are then
// queued to every peer of that format through chatConn, which never waits
// on a socket: each connection's outbox is drained by its own writer,
// which coalesces what is queued into one write.

// frameEncoder is the chat's chat.Encoder.
type frameEncoder struct {
	deflater *deflater // nil with compression off
}

// Frame implements chat.Encoder.
func (e frameEncoder) Frame(payload []byte) []byte { return encodeFrame(opText, payload) }

// Compress implements chat.Encoder: nil when compression is off, or does
// not gain on payload.
func (e frameEncoder) Compress(payload []byte) []byte {
	if e.deflater == nil {
		return nil
	}
	return e.deflater.compressedFrame(opText, payload, true)
}

// chatConn is a connection as the chat sees it: its chat.Transport.
type chatConn struct{ *Conn }

var _ chat.Transport = chatConn{}

// Send implements chat.Transport.
func (c chatConn) Send(encoded []byte) bool {
	_, behind := c.queueFrame(encoded)
	return behind
}

// Wait implements chat.Transport.
func (c chatConn) Wait() { c.awaitDrained() }

// Close implements chat.Transport: 1008 with reason.
func (c chatConn) Close(reason string) { c.Conn.Close(closePolicyViolation, reason) }

// Compressed implements chat.Transport: the peer negotiated
// permessage-deflate and did not limit the server's window (RFC 7692
// §7.1.2.1), so it can take frames compressed once for everyone.
func (c chatConn) Compressed() bool { return c.takesBroadcastDeflate() }
