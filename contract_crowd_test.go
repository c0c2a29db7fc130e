package main

import "testing"

// crowdOf is a configuration whose rooms stop naming who joins and
// leaves past n people.
func crowdOf(n int) func(t *testing.T, cfg *Config) {
	return func(t *testing.T, cfg *Config) { cfg.RoomNotices = n }
}

// contractCrowd: past -room-notices people, a room tells its members how
// many are in it, on every node, instead of each join and leave by name;
// below it again, names come back. The newcomer's welcome counts
// everyone.
func contractCrowd(t *testing.T, e contractEngine, d *deployment) {
	alice := join(t, d.node(0), "alice")
	bob := joinJSONAt(t, d.node(1), "bob", "lobby")
	alice.await(t, "* bob joined")
	carol := join(t, d.node(2), "carol")
	alice.await(t, "* carol joined")
	if ev := bob.awaitEvent(t, "join"); ev.Name != "carol" {
		t.Fatalf("bob heard %+v, want carol's join", ev)
	}

	// The fourth is one past the limit: counted, not named.
	dave := join(t, d.node(3), "dave")
	alice.awaitUnnamed(t, "dave", "* 4 people here")
	carol.awaitUnnamed(t, "dave", "* 4 people here")
	if ev := bob.awaitEvent(t, "count"); ev.Room != "lobby" || ev.Count != 4 {
		t.Fatalf("bob heard %+v, want a count of 4 in the lobby", ev)
	}
	dave.c.sendText("/who")
	dave.awaitLine(t, "* in lobby (4): ")

	// Its leaving, from a crowd, is counted too; then the room is small
	// again, and names who leaves.
	dave.c.nc.Close()
	alice.awaitUnnamed(t, "dave", "* 3 people here")
	carol.c.nc.Close()
	alice.awaitUnnamed(t, "dave", "* carol left")
	if ev := bob.awaitEvent(t, "count"); ev.Count != 3 {
		t.Fatalf("bob heard %+v, want a count of 3", ev)
	}
	if ev := bob.awaitEvent(t, "leave"); ev.Name != "carol" {
		t.Fatalf("bob heard %+v, want carol's leaving", ev)
	}
}

// awaitUnnamed reads messages until want, and fails if any of them names
// name joining or leaving.
func (in *inbox) awaitUnnamed(t *testing.T, name, want string) {
	t.Helper()
	for {
		m := in.next(t)
		if m == want {
			return
		}
		if m == "* "+name+" joined" || m == "* "+name+" left" {
			t.Fatalf("got %q before %q: past -room-notices, nobody is named", m, want)
		}
	}
}
