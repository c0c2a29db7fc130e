package main

import "errors"

// maxHeaderBytes bounds the request line and headers of a request, the
// opening handshake included. net/http answers a larger one with 431.
const maxHeaderBytes = 8 << 10

// checkLimits reports the first limit in cfg that makes no sense.
func checkLimits(cfg Config) error {
	if cfg.HandshakeTimeout <= 0 {
		return errors.New("-handshake-timeout must be more than 0")
	}
	return nil
}
