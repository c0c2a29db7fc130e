package main

import "testing"

// TestBrowserModeration drives the page of a server with built-in
// accounts with the script e2e/mod.mjs, the owner of a room at a
// desktop's size and a troublemaker at a phone's, then the other way
// round: the topic under the room's name, what an owner may do to a
// person and to their message (and a member may not), a deletion, and a
// ban whose reason the banned person's page shows.
func TestBrowserModeration(t *testing.T) {
	cfg := testConfig()
	cfg.DataDir, cfg.Accounts, cfg.Signup = t.TempDir(), true, true
	live := startLiveServer(t, cfg)
	runDriver(t, "mod.mjs", []string{"WSCHAT_URL=http://" + live.addr + "/"}, nil)
}
