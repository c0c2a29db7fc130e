package main

import (
	"fmt"
	"io"
	"time"
)

// ReadMessage returns the next text or binary message, reassembled from
// its fragments (RFC 6455 §5.4). Control frames that arrive meanwhile are
// handled at once (§5.5): a ping is answered with a pong, a pong ignored, a
// close answered. Once a close frame is queued, messages are read and
// dropped until the peer's close arrives.
//
// The error is a *CloseError when the closing handshake has begun: the
// close the peer sent, or the protocol error the server failed the
// connection with (its close frame already queued). Any other error comes
// from the network. Either way the caller stops reading and calls finish.
// errParked means there was nothing to read and the connection is parked:
// the caller returns, and its loop runs again when there is.
func (c *Conn) ReadMessage() (opcode, []byte, error) {
	c.reader()
	op, msg, err := c.readMessage()
	if err != errParked { // parked, the read side is no longer this goroutine's
		c.releaseHeld()
	}
	return op, msg, err
}

// readMessage is ReadMessage, with the message buffer still counted
// against the server's reassembly budget.
func (c *Conn) readMessage() (opcode, []byte, error) {
	var (
		msgOp      opcode // opcode of the message being reassembled, 0 if none
		msg        []byte
		text       utf8Validator
		compressed bool // RSV1 was set on its first frame (RFC 7692 §6)
	)
	for {
		if msgOp == 0 && c.nothingBuffered() {
			if !c.quiet() {
				c.armParking()
			} else if c.park() {
				return 0, nil, errParked
			}
		}
		h, err := c.readHeader()
		if err != nil {
			switch c.ownTimeout(err) {
			case armedPark:
				continue // quiet for parkAfter now: park
			case armedMessage:
				return 0, nil, c.fail(c.messageExpired())
			}
			return 0, nil, err
		}
		c.disarm(armedPark)
		if err := c.checkHeader(h, msgOp != 0); err != nil {
			return 0, nil, c.fail(err)
		}
		if h.opcode.isControl() {
			if err := c.readControl(h); err != nil {
				return 0, nil, c.fail(c.messageTimedOut(err))
			}
			continue
		}
		if h.opcode != opContinuation {
			msgOp, compressed = h.opcode, h.rsv == bitRsv1
			c.armMessage(h)
		}
		// Compared as what is left of the limit: a 64-bit length may be
		// up to 2^63-1 (§5.2), and adding it to the bytes already
		// reassembled would overflow and let the frame through.
		if h.length > c.cfg.maxMessage-int64(len(msg)) {
			return 0, nil, c.fail(protocolError(closeMessageTooBig,
				fmt.Sprintf("message too big: the limit is %d bytes", c.cfg.maxMessage)))
		}
		var utf *utf8Validator
		if msgOp == opText && !compressed { // compressed text is checked once inflated
			utf = &text
		}
		if msg, err = c.readPayload(msg, h, utf); err != nil {
			return 0, nil, c.fail(c.messageTimedOut(err))
		}
		if !h.fin {
			continue
		}
		c.disarm(armedMessage)
		if compressed {
			if msg, err = c.inflateMessage(msgOp, msg); err != nil {
				return 0, nil, c.fail(err)
			}
		}
		if utf != nil && !utf.complete() {
			return 0, nil, c.fail(protocolError(closeInvalidPayload, "text message is not valid UTF-8"))
		}
		if c.isClosing() {
			msgOp, msg, text, compressed = 0, nil, utf8Validator{}, false
			c.releaseHeld()
			continue
		}
		c.lastMessage = now()
		return msgOp, msg, nil
	}
}

// readHeader reads the next frame header.
func (c *Conn) readHeader() (frameHeader, error) {
	for size := 2; ; {
		b, err := c.rd.br.Peek(size)
		if err != nil {
			return frameHeader{}, fmt.Errorf("read frame header: %w", err)
		}
		h, n, err := parseFrameHeader(b)
		if err != nil {
			return h, c.fail(protocolError(closeProtocolError, err.Error()))
		}
		if n > 0 {
			c.idleTicks.Store(0)
			c.cfg.metrics.addBytesIn(int64(n))
			_, err := c.rd.br.Discard(n)
			return h, err
		}
		size = headerSize(b)
	}
}

// headerSize is the size of the header whose first two bytes are b.
func headerSize(b []byte) int {
	n := 2
	switch b[1] & 0x7F {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b[1]&bitMask != 0 {
		n += 4
	}
	return n
}

// checkHeader applies the rules of §5 that a frame header alone can break.
// inMessage tells whether a fragmented message is being reassembled.
func (c *Conn) checkHeader(h frameHeader, inMessage bool) error {
	switch {
	case !h.masked:
		return protocolError(closeProtocolError, "client frames must be masked (RFC 6455 §5.1)")
	case h.rsv != 0 && !c.compressedStart(h):
		return protocolError(closeProtocolError, "reserved bits set without a negotiated extension")
	case h.opcode.isReserved():
		return protocolError(closeProtocolError, fmt.Sprintf("reserved opcode %#x", byte(h.opcode)))
	case h.opcode.isControl() && !h.fin:
		return protocolError(closeProtocolError, "fragmented control frame")
	case h.opcode.isControl() && h.length > maxControlPayload:
		return protocolError(closeProtocolError, "control frame payload over 125 bytes")
	case h.opcode == opContinuation && !inMessage:
		return protocolError(closeProtocolError, "continuation frame with no message to continue")
	case (h.opcode == opText || h.opcode == opBinary) && inMessage:
		return protocolError(closeProtocolError, "new message started inside a fragmented message")
	}
	return nil
}

// readControl reads the payload of a control frame and acts on it
// (§5.5). It returns a *CloseError once a close frame has arrived.
func (c *Conn) readControl(h frameHeader) error {
	p := c.rd.ctrl[:h.length]
	if _, err := io.ReadFull(c.rd.br, p); err != nil {
		return fmt.Errorf("read control frame: %w", err)
	}
	c.cfg.metrics.addBytesIn(h.length)
	maskBytes(h.maskKey, 0, p)
	switch h.opcode {
	case opPing:
		// §5.5.2: a pong carries the ping's payload. Once closing, no
		// frame may follow the close, so the ping goes unanswered.
		c.sendPong(p)
	case opClose:
		peer, err := parseClosePayload(p)
		if err != nil {
			return c.fail(err)
		}
		// §5.5.1: answer with a close, echoing the peer's code.
		code := peer.Code
		if code == closeNoStatus {
			code = closeNormal
		}
		c.queueClose(code, "", false, time.Time{})
		c.peerClosed = true
		return c.setPeerClose(peer)
	}
	return nil // §5.5.3: an unsolicited pong needs no answer
}

// readPayload reads the payload of a data frame onto the end of dst,
// unmasking it and, for text, checking its UTF-8 as it comes in. dst grows
// only as bytes arrive, so a peer cannot make the server allocate for a
// length it announces but never sends.
func (c *Conn) readPayload(dst []byte, h frameHeader, utf *utf8Validator) ([]byte, error) {
	pos := 0
	for remaining := int(h.length); remaining > 0; {
		if len(dst) == cap(dst) {
			var err error
			if dst, err = c.grow(dst, remaining, h.fin); err != nil {
				return dst, err
			}
		}
		chunk := dst[len(dst):cap(dst)]
		chunk = chunk[:min(len(chunk), remaining)]
		n, err := c.rd.br.Read(chunk)
		if err != nil {
			return dst, fmt.Errorf("read frame payload: %w", err)
		}
		chunk = chunk[:n]
		pos = maskBytes(h.maskKey, pos, chunk)
		if utf != nil && !utf.write(chunk) {
			return dst, protocolError(closeInvalidPayload, "text message is not valid UTF-8")
		}
		dst = dst[:len(dst)+n]
		remaining -= n
	}
	c.cfg.metrics.addBytesIn(h.length)
	return dst, nil
}

// grow makes room in a message buffer that is full, with remaining bytes
// of the current frame still to come. It doubles what has arrived, so that
// a message in many fragments is copied a few times rather than once a
// fragment, but never past what the final frame needs, nor past the limit,
// nor past what the server's reassembly budget has left.
func (c *Conn) grow(dst []byte, remaining int, final bool) ([]byte, error) {
	n := max(len(dst), readBufferSize)
	if final {
		n = min(n, remaining)
	}
	n = min(n, int(c.cfg.maxMessage)-len(dst))
	if !c.hold(int64(len(dst) + n - cap(dst))) {
		return dst, protocolError(closeMessageTooBig,
			"message too big for now: the server holds as many partial messages as it can; try again later")
	}
	grown := make([]byte, len(dst), len(dst)+n)
	copy(grown, dst)
	return grown, nil
}

// fail fails the connection (§7.1.7) when err is a protocol error, by
// queueing the close frame it calls for. Network errors pass through.
func (c *Conn) fail(err error) error {
	if ce, ok := err.(*CloseError); ok && c.queueClose(ce.Code, ce.Reason, false, time.Time{}) {
		c.cfg.metrics.protocolError(ce.Code)
	}
	return err
}
