//go:build linux

package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"wschat/internal/textrules"
)

// These tests drive the real wscat command (the npm package wscat), the
// client the README tells people to use, against a server started in the
// test. wscat shows different things on a terminal and on pipes:
//
//   - On a terminal it prints "Connected (press CTRL+C to quit)" once the
//     connection is open, each message received as "< text", and at the
//     end "Disconnected (code: N, reason: "...")", in colour, redrawing its
//     "> " prompt around them. Ctrl+C quits.
//   - On pipes it prints only the messages received, one a line, as they
//     came, and a "> " prompt, without a newline, after each line it sends.
//     The end of its input quits.
//
// Either way it drops lines typed before the connection is open. So the
// tests run it on a pseudo-terminal (Linux only) where they need to know
// that it is connected or to see how the connection ended, and on pipes
// to check scripted use, where the chat's welcome tells it is connected.

type wscatMode int

const (
	onPipes wscatMode = iota
	onTerminal
)

func (m wscatMode) String() string {
	if m == onTerminal {
		return "terminal"
	}
	return "pipes"
}

// received is how wscat shows a message it received, in mode m.
func (m wscatMode) received(text string) string {
	if m == onTerminal {
		return "< " + text
	}
	return text
}

// wscatConnected is what wscat prints on a terminal once it is connected.
const wscatConnected = "Connected (press CTRL+C to quit)"

// wscat is one running wscat process.
type wscat struct {
	t      *testing.T
	who    string // who this is, for messages
	mode   wscatMode
	in     *os.File    // what is typed
	lines  chan string // its output, one line as shown at a time; closed at its end
	exited chan struct{}
	shown  []string // the lines taken from lines so far, for failure messages
}

// startWscat runs wscat -c url in mode. The process is killed, if it is
// still running, when the test ends.
func startWscat(t *testing.T, who string, mode wscatMode, url string) *wscat {
	t.Helper()
	path := needTool(t, "wscat")
	cmd := exec.Command(path, "-c", url)
	// The child's ends of its input and output, closed here once it has
	// them, and the test's ends.
	var childIn, childOut, in, out *os.File
	var err error
	switch mode {
	case onTerminal:
		in, childIn, err = openPTY()
		if err != nil {
			t.Fatalf("open a pseudo-terminal for wscat: %v", err)
		}
		out, childOut = in, childIn
		cmd.Env = append(os.Environ(), "TERM=xterm")
		// A session of its own with the terminal as its controlling
		// terminal, as in a terminal window.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	default:
		if childIn, in, err = os.Pipe(); err != nil {
			t.Fatal(err)
		}
		if out, childOut, err = os.Pipe(); err != nil {
			t.Fatal(err)
		}
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = childIn, childOut, childOut
	err = cmd.Start()
	childIn.Close()
	if childOut != childIn {
		childOut.Close()
	}
	if err != nil {
		in.Close()
		out.Close()
		t.Fatalf("start wscat: %v", err)
	}

	w := &wscat{t: t, who: who, mode: mode, in: in, lines: make(chan string, 100), exited: make(chan struct{})}
	stop := make(chan struct{}) // closed when the test no longer reads
	go func() {
		defer close(w.lines)
		r := bufio.NewReader(out)
		for {
			// A terminal's end reads as an error (EIO), pipes' as EOF.
			line, err := r.ReadString('\n')
			if line != "" {
				select {
				case w.lines <- shownLine(line):
				case <-stop:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	go func() {
		cmd.Wait()
		close(w.exited)
	}()
	t.Cleanup(func() {
		close(stop)
		select {
		case <-w.exited:
		default:
			cmd.Process.Kill()
		}
		select {
		case <-w.exited:
		case <-time.After(testTimeout):
			t.Errorf("%s: wscat (pid %d) did not exit when killed", who, cmd.Process.Pid)
		}
		in.Close()
		if out != in {
			out.Close()
		}
	})
	return w
}

// ansiEscape matches a terminal control sequence: colours, cursor moves
// and erasures.
var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]`)

// shownLine returns what a terminal ends up showing of one line of
// wscat's output: control sequences dropped, only the text after the
// last carriage return that is followed by any (wscat erases the line
// before it prints a message over its prompt), and the "> " prompts in
// front taken off.
func shownLine(raw string) string {
	parts := strings.Split(ansiEscape.ReplaceAllString(strings.TrimSuffix(raw, "\n"), ""), "\r")
	s := ""
	for i := len(parts) - 1; i >= 0 && s == ""; i-- {
		s = parts[i]
	}
	for strings.HasPrefix(s, "> ") {
		s = s[len("> "):]
	}
	return s
}

// typeLine types line and Enter.
func (w *wscat) typeLine(line string) {
	w.t.Helper()
	enter := "\n"
	if w.mode == onTerminal {
		enter = "\r" // what the Enter key sends
	}
	if _, err := io.WriteString(w.in, line+enter); err != nil {
		w.t.Fatalf("%s: type %q: %v", w.who, line, err)
	}
}

// quit does what a person does to leave wscat: Ctrl+C on a terminal, and
// the end of the input on pipes.
func (w *wscat) quit() {
	w.t.Helper()
	var err error
	if w.mode == onTerminal {
		_, err = io.WriteString(w.in, "\x03")
	} else {
		err = w.in.Close()
	}
	if err != nil {
		w.t.Fatalf("%s: quit: %v", w.who, err)
	}
}

// expect waits for wscat to show the line want, passing over the others.
func (w *wscat) expect(want string) {
	w.t.Helper()
	deadline := time.After(testTimeout)
	for {
		select {
		case line, ok := <-w.lines:
			if !ok {
				w.t.Fatalf("%s: wscat ended without showing %q; it showed:\n%s", w.who, want, w.transcript())
			}
			w.shown = append(w.shown, line)
			if line == want {
				return
			}
		case <-deadline:
			w.t.Fatalf("%s: wscat did not show %q within %v; it showed:\n%s", w.who, want, testTimeout, w.transcript())
		}
	}
}

// expectExit waits for wscat to exit by itself and shows what it printed
// until then.
func (w *wscat) expectExit() {
	w.t.Helper()
	deadline := time.After(testTimeout)
	for {
		select {
		case line, ok := <-w.lines:
			if !ok {
				select {
				case <-w.exited:
					return
				case <-deadline:
					w.t.Fatalf("%s: wscat closed its output but did not exit within %v", w.who, testTimeout)
				}
			}
			w.shown = append(w.shown, line)
		case <-deadline:
			w.t.Fatalf("%s: wscat did not exit within %v; it showed:\n%s", w.who, testTimeout, w.transcript())
		}
	}
}

func (w *wscat) transcript() string {
	if len(w.shown) == 0 {
		return "\t(nothing)"
	}
	return "\t" + strings.Join(w.shown, "\n\t")
}

// TestWscatEcho is a session a person has at a terminal on /ws/echo:
// every line typed comes back, and Ctrl+C ends it.
func TestWscatEcho(t *testing.T) {
	srv, addr := startServer(t, testConfig())
	w := startWscat(t, "wscat", onTerminal, "ws://"+addr+"/ws/echo")
	w.expect(wscatConnected)
	for _, line := range []string{
		"hello",
		"two  words, and punctuation!?",
		"ünïcødé ✓ 😀",
		strings.Repeat("long line ", 50),
	} {
		w.typeLine(line)
		w.expect(w.mode.received(line))
	}
	w.quit()
	w.expectExit()
	// wscat offers permessage-deflate; the long line came back compressed.
	if n := scrape(t, srv.MetricsHandler())["wschat_compressed_connections_total"]; n != 1 {
		t.Errorf("%v connections negotiated permessage-deflate, want wscat's", n)
	}
}

// TestWscatChat has alice and bob chat through two wscat sessions, at a
// terminal and scripted through pipes: each sees the other join, both see
// every message, and alice sees bob leave when he quits.
func TestWscatChat(t *testing.T) {
	for _, mode := range []wscatMode{onTerminal, onPipes} {
		t.Run(mode.String(), func(t *testing.T) {
			srv, addr := startServer(t, testConfig())
			url := "ws://" + addr + "/ws/chat?name="

			alice := startWscat(t, "alice", mode, url+"alice")
			alice.expect(mode.received("* welcome, alice! 1 online: alice"))
			bob := startWscat(t, "bob", mode, url+"bob")
			bob.expect(mode.received("* welcome, bob! 2 online: alice, bob"))
			alice.expect(mode.received("* bob joined"))

			alice.typeLine("hi bob")
			alice.expect(mode.received("alice: hi bob"))
			bob.expect(mode.received("alice: hi bob"))

			bob.typeLine("hello alice, how are you?")
			bob.expect(mode.received("bob: hello alice, how are you?"))
			alice.expect(mode.received("bob: hello alice, how are you?"))

			long := strings.TrimSpace(strings.Repeat("a longer line, which goes out compressed to both of us. ", 3))
			alice.typeLine(long)
			bob.expect(mode.received("alice: " + long))

			bob.quit()
			bob.expectExit()
			alice.expect(mode.received("* bob left"))
			if n := scrape(t, srv.MetricsHandler())["wschat_compressed_connections_total"]; n != 2 {
				t.Errorf("%v connections negotiated permessage-deflate, want both wscat's", n)
			}
		})
	}
}

// TestWscatRoomsAndPrivateMessages scripts a wscat session that joins a
// room, moves with /join and sends a private message with /msg: the
// recipient, at another wscat in another room, gets it, and the room's
// other member does not.
func TestWscatRoomsAndPrivateMessages(t *testing.T) {
	_, addr := startServer(t, testConfig())
	url := "ws://" + addr + "/ws/chat?name="
	mode := onPipes

	alice := startWscat(t, "alice", mode, url+"alice&room=go")
	alice.expect(mode.received("* welcome to go, alice! 1 online: alice"))
	bob := startWscat(t, "bob", mode, url+"bob")
	bob.expect(mode.received("* welcome, bob! 1 online: bob"))
	carol := startWscat(t, "carol", mode, url+"carol&room=go")
	carol.expect(mode.received("* welcome to go, carol! 2 online: alice, carol"))
	alice.expect(mode.received("* carol joined"))

	alice.typeLine("/msg bob hi bob, from go")
	alice.expect(mode.received("alice → bob: hi bob, from go"))
	bob.expect(mode.received("alice → bob: hi bob, from go"))

	alice.typeLine("/join lobby")
	alice.expect(mode.received("* welcome, alice! 2 online: bob, alice"))
	bob.expect(mode.received("* alice joined"))
	carol.expect(mode.received("* alice left"))
	carol.typeLine("/who")
	carol.expect(mode.received("* in go (1): carol")) // and nothing of the private message before it
	if strings.Contains(carol.transcript(), "hi bob") {
		t.Errorf("carol saw the private message:\n%s", carol.transcript())
	}
}

// TestWscatRefusedName checks that a person whose name is refused sees
// why in wscat, which shows the reason of the server's close frame.
func TestWscatRefusedName(t *testing.T) {
	tests := []struct {
		name   string
		query  string
		reason string
	}{
		{"no name", "", "bad-name: " + textrules.CheckName("name", "")},
		{"empty name", "?name=", "bad-name: " + textrules.CheckName("name", "")},
		{"space in name", "?name=al%20ice", "bad-name: " + textrules.CheckName("name", "al ice")},
		{"name too long", "?name=" + strings.Repeat("a", textrules.MaxNameLength+1), "bad-name: " + textrules.CheckName("name", strings.Repeat("a", textrules.MaxNameLength+1))},
		{"name taken", "?name=alice", `name-taken: name "alice" is taken: choose another`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.reason == "" {
				t.Fatalf("checkName gives no reason for %q", tt.query)
			}
			_, addr := startServer(t, testConfig())
			alice := dial(t, addr, "/ws/chat?name=alice")
			alice.next() // the welcome: alice is in

			w := startWscat(t, "wscat", onTerminal, "ws://"+addr+"/ws/chat"+tt.query)
			w.expect(fmt.Sprintf(`Disconnected (code: 1008, reason: "%s")`, tt.reason))
			w.expectExit()
		})
	}
}

// openPTY opens a pseudo-terminal and returns its two ends: the one the
// test reads and writes, and the one the program is given.
func openPTY() (ptm, pts *os.File, err error) {
	ptm, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			ptm.Close()
		}
	}()
	rc, err := ptm.SyscallConn()
	if err != nil {
		return nil, nil, err
	}
	var n uint32
	var errno syscall.Errno
	err = rc.Control(func(fd uintptr) {
		var unlock int32
		if _, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); errno != 0 {
			return
		}
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n)))
	})
	if err == nil && errno != 0 {
		err = errno
	}
	if err != nil {
		return nil, nil, fmt.Errorf("set up /dev/ptmx: %w", err)
	}
	pts, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	return ptm, pts, nil
}
