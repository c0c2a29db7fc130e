//go:build race

package accounts

// raceEnabled reports a build with the race detector, under which a hash
// takes about ten times as long.
const raceEnabled = true
