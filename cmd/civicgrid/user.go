package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/password"
	"github.com/civicgrid/civicgrid/sms"
)

// cliEvent records an action taken on the command line (by whoever runs the
// server's account on the host).
func cliEvent(kind, area, detail string) civicgrid.SecurityEvent {
	return civicgrid.SecurityEvent{Kind: kind, Actor: "cli", AreaCode: area, Detail: detail}
}

const userUsage = `user add --phone P --name N --role R --area CODE [--detail D] [--categories a,b] [--password-stdin]
       user grant PHONE --role R --area CODE [--detail D] [--categories a,b]
       user reset PHONE      (prints a temporary password, to be changed at first login)
       user unlock PHONE
       user link-oidc PHONE --issuer URL --subject SUB`

// cmdUser manages staff accounts from the host: the first admin of a fresh
// deployment comes from here.
func cmdUser(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("user: want one of:\n  %s", userUsage)
	}
	sub := args[0]
	fs := newFlags("user", userUsage, stderr)
	data := dataFlag(fs)
	phoneFlag := fs.String("phone", "", "mobile phone number (add)")
	name := fs.String("name", "", "full name (add)")
	role := fs.String("role", "", "role, one of: "+roleList())
	area := fs.String("area", "", "area code the role is held over (its whole subtree)")
	detail := fs.String("detail", "", "a building role's kind, or a reporter's team")
	categories := fs.String("categories", "", "a department handler's case categories, comma-separated")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input (add); otherwise a temporary one is printed")
	issuer := fs.String("issuer", "", "OIDC issuer URL (link-oidc)")
	subject := fs.String("subject", "", "OIDC subject of the person (link-oidc)")
	pos, err := parseArgs(fs, args[1:])
	if err != nil {
		return err
	}
	db, err := data.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	grant := func() (civicgrid.RoleGrant, error) {
		g := civicgrid.RoleGrant{Role: *role, AreaCode: *area, Detail: *detail}
		if *categories != "" {
			g.Categories = strings.Split(*categories, ",")
		}
		if err := g.CheckShape(); err != nil {
			return g, err
		}
		if _, err := db.AreaByCode(ctx, g.AreaCode); err != nil {
			return g, fmt.Errorf("--area %s: %w", g.AreaCode, err)
		}
		return g, nil
	}
	byPhone := func() (civicgrid.User, error) {
		if len(pos) != 1 {
			return civicgrid.User{}, fmt.Errorf("user %s: give exactly one phone number", sub)
		}
		p, err := sms.Normalize(pos[0])
		if err != nil {
			return civicgrid.User{}, err
		}
		rec, err := db.LoginRecordByPhone(ctx, p)
		return rec.User, err
	}
	switch sub {
	case "add":
		p, err := sms.Normalize(*phoneFlag)
		if err != nil {
			return fmt.Errorf("user add --phone: %w", err)
		}
		if strings.TrimSpace(*name) == "" {
			return fmt.Errorf("user add: --name is required")
		}
		g, err := grant()
		if err != nil {
			return fmt.Errorf("user add: %w", err)
		}
		pw, temporary := "", false
		if *pwStdin {
			line, err := bufio.NewReader(stdin).ReadString('\n')
			if err != nil && line == "" {
				return fmt.Errorf("user add: no password on standard input")
			}
			pw = strings.TrimRight(line, "\r\n")
			if err := password.Validate(pw, p); err != nil {
				return fmt.Errorf("user add: password: %w", err)
			}
		} else if pw, err = password.Temporary(); err != nil {
			return err
		} else {
			temporary = true
		}
		hash, err := password.Hash(pw, password.Default)
		if err != nil {
			return err
		}
		u, err := db.CreateUser(ctx, civicgrid.User{Name: strings.TrimSpace(*name), Phone: p, Kind: civicgrid.KindStaff, MustChangePassword: temporary},
			hash, []civicgrid.RoleGrant{g}, cliEvent(civicgrid.EventUserCreated, g.AreaCode, g.Role+"@"+g.AreaCode))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %d created: %s %s, %s over %s\n", u.ID, civicgrid.MaskName(u.Name), civicgrid.MaskPhone(u.Phone), g.Role, g.AreaCode)
		if temporary {
			fmt.Fprintf(stdout, "temporary password (shown only now; to be changed at first login): %s\n", pw)
		}
		return nil
	case "grant":
		u, err := byPhone()
		if err != nil {
			return err
		}
		g, err := grant()
		if err != nil {
			return fmt.Errorf("user grant: %w", err)
		}
		g.UserID = u.ID
		if _, err := db.AddGrant(ctx, g, cliEvent(civicgrid.EventRoleGranted, g.AreaCode, g.Role+"@"+g.AreaCode)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %d now holds %s over %s\n", u.ID, g.Role, g.AreaCode)
		return nil
	case "reset":
		u, err := byPhone()
		if err != nil {
			return err
		}
		pw, err := password.Temporary()
		if err != nil {
			return err
		}
		hash, err := password.Hash(pw, password.Default)
		if err != nil {
			return err
		}
		if err := db.SetPassword(ctx, u.ID, hash, true, cliEvent(civicgrid.EventPasswordReset, firstGrantArea(u), "on the command line")); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %d: sessions ended; temporary password (shown only now): %s\n", u.ID, pw)
		return nil
	case "unlock":
		u, err := byPhone()
		if err != nil {
			return err
		}
		if err := db.Unlock(ctx, u.ID, cliEvent(civicgrid.EventAccountUnlocked, firstGrantArea(u), "on the command line")); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %d unlocked\n", u.ID)
		return nil
	case "link-oidc":
		u, err := byPhone()
		if err != nil {
			return err
		}
		if *issuer == "" || *subject == "" {
			return fmt.Errorf("user link-oidc: --issuer and --subject are required")
		}
		if err := db.LinkIdentity(ctx, *issuer, *subject, u.ID); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %d linked to %s at %s\n", u.ID, *subject, *issuer)
		return nil
	}
	return fmt.Errorf("user: unknown subcommand %q; want one of:\n  %s", sub, userUsage)
}

func firstGrantArea(u civicgrid.User) string {
	if len(u.Grants) == 0 {
		return ""
	}
	return u.Grants[0].AreaCode
}

func roleList() string {
	names := make([]string, len(civicgrid.Roles))
	for i, r := range civicgrid.Roles {
		names[i] = r.Name
	}
	return strings.Join(names, ", ")
}
