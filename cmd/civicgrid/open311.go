package main

import (
	"context"
	"fmt"
	"github.com/civicgrid/civicgrid"
	"io"
	"strconv"
	"strings"
)

const open311Usage = "open311 key add NAME | open311 key revoke ID"

// cmdOpen311 manages the api_keys of Open311 client applications.
func cmdOpen311(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("open311", open311Usage+" [--data DIR]", stderr)
	data := dataFlag(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 || pos[0] != "key" || (pos[1] != "add" && pos[1] != "revoke") {
		return fmt.Errorf("open311: want '%s'", open311Usage)
	}
	sub := pos[1]
	if len(pos) != 3 {
		return fmt.Errorf("open311 key %s: want one argument (%s)", sub, open311Usage)
	}
	arg := strings.TrimSpace(pos[2])
	db, err := data.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if sub == "revoke" {
		id, err := strconv.ParseInt(arg, 10, 64)
		if err != nil {
			return fmt.Errorf("open311 key revoke: %q is not a key id", arg)
		}
		if err := db.RevokeOpen311Key(ctx, id, civicgrid.SecurityEvent{Kind: civicgrid.EventOpen311KeyRevoked, Actor: "cli", Detail: fmt.Sprintf("open311 key %d", id)}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Open311 key %d revoked\n", id)
		return nil
	}
	if n := len([]rune(arg)); n == 0 || n > 80 {
		return fmt.Errorf("open311 key add: NAME names the client application, 1 to 80 characters")
	}
	key, id, err := db.CreateOpen311Key(ctx, arg, civicgrid.SecurityEvent{Kind: civicgrid.EventOpen311KeyCreated, Actor: "cli"})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Open311 api_key %d for %q (shown only now, stored hashed):\n%s\n", id, arg, key)
	return nil
}
