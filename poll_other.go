//go:build !linux

package main

import "errors"

// poller is Linux only: elsewhere connections wait in ReadMessage.
type poller struct{}

func newPoller() *poller          { return nil }
func (p *poller) add(*Conn) error { return errNoPoller }
func (p *poller) remove(*Conn)    {}
func (p *poller) run()            {}
func (p *poller) stop()           {}

var errNoPoller = errors.New("no poller on this system")
