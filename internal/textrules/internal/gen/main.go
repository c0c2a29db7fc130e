// Command gen writes confusables_table.go, the tables behind
// textrules.Skeleton and textrules.NameKey, from two files Unicode
// publishes:
//
//   - confusables.txt, the data of UTS #39 "Unicode Security Mechanisms"
//     (https://www.unicode.org/Public/security/latest/confusables.txt; the
//     package keeps the copy it was generated from in
//     testdata/confusables.txt).
//   - UnicodeData.txt of the Unicode version of the standard library's
//     package unicode, for canonical decompositions and combining classes
//     (https://www.unicode.org/Public/15.0.0/ucd/UnicodeData.txt for Go's
//     Unicode 15.0.0; Debian's package unicode-data installs it as
//     /usr/share/unicode/UnicodeData.txt). gen refuses a file whose letters
//     and marks differ from package unicode's.
//
// Usage, from the textrules directory (go generate runs it so):
//
//	go run ./internal/gen -confusables testdata/confusables.txt -ucd /usr/share/unicode/UnicodeData.txt -o confusables_table.go
//
// The tables cover what a name can hold: letters, combining marks, decimal
// digits and "_", "-", "." (other characters keep themselves), except
// Hangul syllables, which textrules decomposes by arithmetic. gen checks
// that the tables, used the way textrules uses them, give the skeleton and
// key of every such character, and that both are idempotent.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	confPath := flag.String("confusables", "", "confusables.txt of UTS #39")
	ucdPath := flag.String("ucd", "/usr/share/unicode/UnicodeData.txt", "UnicodeData.txt of package unicode's Unicode version")
	out := flag.String("o", "confusables_table.go", "Go file to write")
	flag.Parse()
	if err := run(*confPath, *ucdPath, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(confPath, ucdPath, out string) error {
	if confPath == "" {
		return fmt.Errorf("-confusables is required")
	}
	u, err := readFile(ucdPath, readUCD)
	if err != nil {
		return err
	}
	if err := u.checkVersion(); err != nil {
		return err
	}
	c, err := readFile(confPath, readConfusables)
	if err != nil {
		return err
	}
	t, err := buildTables(u, c)
	if err != nil {
		return err
	}
	src, err := t.source(c)
	if err != nil {
		return err
	}
	return os.WriteFile(out, src, 0o644)
}

func readFile[T any](path string, parse func(io.Reader) (T, error)) (T, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	return parse(f)
}
