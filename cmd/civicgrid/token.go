package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/civicgrid/civicgrid"
)

func cmdToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "revoke") {
		return fmt.Errorf("token: want 'token add --name N --role R --area CODE [--ttl D]' or 'token revoke ID'")
	}
	fs := newFlags("token", "token add|revoke [flags]", stderr)
	data := dataFlag(fs)
	name := fs.String("name", "", "what the token is for (add)")
	role := fs.String("role", "", "role the token acts with: city_admin or district_admin (add)")
	area := fs.String("area", "", "area code whose subtree the token may act on (add)")
	ttl := fs.Duration("ttl", 90*24*time.Hour, "lifetime of the token (add); 0 for no expiry")
	pos, err := parseArgs(fs, args[1:])
	if err != nil {
		return err
	}
	db, err := data.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if args[0] == "revoke" {
		if len(pos) != 1 {
			return fmt.Errorf("token revoke: give exactly one token id")
		}
		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil {
			return fmt.Errorf("token revoke: %q is not a token id", pos[0])
		}
		if err := db.RevokeAPIToken(ctx, id, cliEvent(civicgrid.EventTokenRevoked, "", "token revoked on the command line")); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %d revoked\n", id)
		return nil
	}
	if len(pos) > 0 {
		return fmt.Errorf("token add: unexpected argument %q", pos[0])
	}
	if *role != civicgrid.RoleCityAdmin && *role != civicgrid.RoleDistrictAdmin {
		return fmt.Errorf("token add: --role must be %s or %s", civicgrid.RoleCityAdmin, civicgrid.RoleDistrictAdmin)
	}
	if *area == "" {
		return fmt.Errorf("token add: --area CODE is required (the token acts on that area's subtree)")
	}
	t := civicgrid.APIToken{Name: *name, Role: *role, AreaCode: *area}
	if *ttl > 0 {
		t.ExpiresAt = time.Now().Add(*ttl)
	}
	if err := t.Grant().CheckShape(); err != nil {
		return fmt.Errorf("token add: %w", err)
	}
	secret, stored, err := db.CreateAPIToken(ctx, t, cliEvent(civicgrid.EventTokenCreated, t.AreaCode, ""))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "token %d created; it is shown only now:\n%s\n", stored.ID, secret)
	return nil
}
