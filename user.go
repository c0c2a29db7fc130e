package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"wschat/internal/accounts"
	"wschat/internal/store"
	"wschat/internal/textrules"
)

// userCommand runs "wschat user add [-data DIR] NAME": it adds a built-in
// account, its password read from in (one line), for a server that runs
// with -accounts, whether signup is open or not.
func userCommand(args []string, in io.Reader) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New(`usage: wschat user add -data DIR NAME (the password is read from standard input)`)
	}
	fs := flag.NewFlagSet("wschat user add", flag.ContinueOnError)
	dir := fs.String("data", "", "the server's -data directory")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() != 1 {
		return errors.New(`usage: wschat user add -data DIR NAME (the password is read from standard input)`)
	}
	name := strings.TrimSpace(fs.Arg(0))
	if why := textrules.CheckName("name", name); why != "" {
		return errors.New(why)
	}
	password, err := bufio.NewReader(io.LimitReader(in, accounts.MaxPasswordBytes+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read the password: %w", err)
	}
	password = strings.TrimRight(password, "\r\n")
	// The server reads the accounts once, at start, and would write them
	// over: refuse while it holds the data directory.
	held, err := store.LockDir(*dir)
	if err != nil {
		return fmt.Errorf("stop the server first: %w", err)
	}
	defer held.Close()
	f, err := accounts.OpenFile(*dir, textrules.NameKey)
	if err != nil {
		return fmt.Errorf("open the accounts: %w", err)
	}
	if err := accounts.New(f).Register(context.Background(), "", textrules.NameKey(name), name, password); err != nil {
		return fmt.Errorf("add %s: %w", name, err)
	}
	fmt.Printf("added %s\n", name)
	return nil
}
