package chat

// Transport is one client connection as the chat sees it. The connection
// runtime (package main) implements it: it frames, queues and writes, and
// reads the client's messages into Session.Receive. Every method may be
// called from any goroutine, and none waits on the network but Wait.
type Transport interface {
	// Send queues bytes an Encoder made for the client and reports
	// whether the client is now past its soft limit: whoever sent it
	// waits (Wait) before sending more. A client that has stopped
	// keeping up is dropped instead.
	Send(encoded []byte) (behind bool)
	// Wait returns once the client has taken enough of its queue for
	// senders to go on, or has been dropped for taking nothing for a
	// whole write timeout, or is gone.
	Wait()
	// Close closes the connection with WebSocket close code 1008 and
	// reason, once what is queued is written.
	Close(reason string)
	// Compressed reports whether the client takes the compressed form of
	// broadcasts (Encoder.Compress).
	Compressed() bool
}

// Encoder turns payloads into the bytes a Transport queues: package main
// frames them as WebSocket text frames. Each broadcast is encoded once,
// and the same bytes are queued to every member who reads its format.
type Encoder interface {
	// Frame returns payload as one message for any client.
	Frame(payload []byte) []byte
	// Compress returns payload as one compressed message for the clients
	// that take compression, or nil when it would not gain.
	Compress(payload []byte) []byte
}
