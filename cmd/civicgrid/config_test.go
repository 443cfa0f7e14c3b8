package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/gendoc"
)

var updateDocs = flag.Bool("update", false, "rewrite the settings table in docs/operations.md")

// layered parses args for serve with the given environment and config file
// text, and returns the options and each setting's source.
func layered(t *testing.T, args []string, env map[string]string, file string) (*serveOptions, map[string]string, error) {
	t.Helper()
	if file != "" {
		path := filepath.Join(t.TempDir(), "civicgrid.toml")
		if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append([]string{"--config", path}, args...)
	}
	fs, o := newServeFlags("serve", io.Discard)
	if err := parseFlags(fs, args); err != nil {
		t.Fatal(err)
	}
	src, err := layerSettings(fs, o.conf, func(k string) string { return env[k] })
	return o, src, err
}

func TestSettingsPrecedence(t *testing.T) {
	file := "addr = \"127.0.0.1:7001\"\nclaim-limit = 4\nsign-in-radius = 120.5\nwebhook-allow-private = true\nreopen-window = \"48h\"\nhotline = \"12319\"\n"
	env := map[string]string{"CIVICGRID_CLAIM_LIMIT": "6", "CIVICGRID_HOTLINE": "110"}
	o, src, err := layered(t, []string{"--hotline", "119"}, env, file)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want, from string }{
		{"addr", *o.addr, "127.0.0.1:7001", fromFile},
		{"claim-limit", fmt.Sprint(*o.claimLimit), "6", fromEnv},
		{"sign-in-radius", fmt.Sprint(*o.signInRadius), "120.5", fromFile},
		{"webhook-allow-private", fmt.Sprint(*o.hookPrivate), "true", fromFile},
		{"reopen-window", o.reopenWindow.String(), "48h0m0s", fromFile},
		{"hotline", *o.hotline, "119", fromFlag},
		{"round-minutes", fmt.Sprint(*o.roundMinutes), "15", fromDefault},
	}
	for _, c := range checks {
		if c.got != c.want || src[c.name] != c.from {
			t.Errorf("%s = %q from %s, want %q from %s", c.name, c.got, src[c.name], c.want, c.from)
		}
	}
}

func TestSettingsConfigFromEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.toml")
	os.WriteFile(path, []byte("round-minutes = 30\n"), 0o600)
	fs, o := newServeFlags("serve", io.Discard)
	if err := parseFlags(fs, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := layerSettings(fs, o.conf, func(k string) string { return map[string]string{"CIVICGRID_CONFIG": path}[k] }); err != nil {
		t.Fatal(err)
	}
	if *o.roundMinutes != 30 {
		t.Errorf("CIVICGRID_CONFIG's file not read: round-minutes = %d", *o.roundMinutes)
	}
}

func TestSettingsRefused(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		env        map[string]string
		want       string
	}{
		{"unknown key", "adress = \"x\"\n", nil, `"adress" is not a setting of serve`},
		{"config in the file", "config = \"other.toml\"\n", nil, `"config" is not a setting`},
		{"bad value in the file", "claim-limit = \"many\"\n", nil, "claim-limit"},
		{"table", "[addr]\nhost = \"x\"\n", nil, "is not a setting's value"},
		{"array", "hotline = [\"1\", \"2\"]\n", nil, "is not a setting's value"},
		{"not TOML", "addr = \n", nil, "--config"},
		{"bad variable", "", map[string]string{"CIVICGRID_REOPEN_WINDOW": "a week"}, "CIVICGRID_REOPEN_WINDOW"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := layered(t, nil, tc.env, tc.file)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	if _, _, err := layered(t, []string{"--config", "/nonexistent/civicgrid.toml"}, nil, ""); err == nil {
		t.Error("a missing config file was accepted")
	}
}

// --check-config reads every source, hides secrets, and neither opens the
// store nor listens.
func TestCheckConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(t.TempDir(), "c.toml")
	token := strings.Repeat("s", 40)
	os.WriteFile(path, []byte("metrics-token = \""+token+"\"\nsupport-threshold = 9\n"), 0o600)
	var out, errs bytes.Buffer
	err := run(context.Background(), []string{"serve", "--check-config", "--config", path, "--data", dir, "--addr", "127.0.0.1:1"}, &out, &errs)
	if err != nil {
		t.Fatalf("check-config: %v\n%s", err, errs.String())
	}
	text := out.String()
	for _, want := range []string{"support-threshold", "9", "file", "metrics-token", "(set, hidden)", "settings OK"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, token) {
		t.Error("check-config printed the metrics token")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("check-config touched the data directory: %v", err)
	}
	for _, bad := range [][]string{
		{"--addr", "no-port"},
		{"--metrics-token", "short"},
		{"--log-level", "loud"},
		{"--production"}, // the development SMS sender is refused in production
	} {
		args := append([]string{"serve", "--check-config", "--data", dir}, bad...)
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("check-config accepted %v", bad)
		}
	}
}

// TestSettingsTable keeps the table in docs/operations.md equal to serve's
// flags.
func TestSettingsTable(t *testing.T) {
	fs, _ := newServeFlags("serve", io.Discard)
	var b strings.Builder
	b.WriteString("| flag / file key | environment | default | what it sets |\n|---|---|---|---|\n")
	fs.VisitAll(func(f *flag.Flag) {
		env := "`" + envName(f.Name) + "`"
		def := f.DefValue
		switch {
		case f.Name == "check-config":
			env = "—"
		case secretSetting(f.Name) || f.Name == "data" || f.Name == "db":
			def = "" // may come from the test's environment
		}
		if def != "" {
			def = "`" + def + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", f.Name, env, def, strings.ReplaceAll(f.Usage, "|", "\\|"))
	})
	gendoc.Check(t, "../../docs/operations.md", "settings", b.String(), *updateDocs, "go test ./cmd/civicgrid -run SettingsTable -update")
}
