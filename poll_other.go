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

// Nothing parks, so nothing is detached from its net.Conn.
func (c *Conn) detachLocked() bool { return false }
func (c *Conn) attachLocked()      {}

// errMoved is never returned where nothing is detached.
var errMoved = errors.New("the socket has moved to a net.Conn")

var errNoPoller = errors.New("no poller on this system")
