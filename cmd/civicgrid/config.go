package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/BurntSushi/toml"
)

// A setting's value comes from, in order of precedence: the command line,
// a CIVICGRID_* environment variable, the --config file, the default. The
// same names everywhere: flag --sign-in-radius, variable
// CIVICGRID_SIGN_IN_RADIUS, file key sign-in-radius.
const (
	fromFlag    = "flag"
	fromEnv     = "env"
	fromFile    = "file"
	fromDefault = "default"
)

// configFlags are --config and --check-config of serve and demo.
type configFlags struct {
	path  *string
	check *bool
}

func configFlagsOn(fs *flag.FlagSet) *configFlags {
	return &configFlags{
		path: fs.String("config", "", "a TOML file of settings, one key = value a line with the flag names as keys, e.g. addr = \"0.0.0.0:8080\" (env CIVICGRID_CONFIG); "+
			"flags and CIVICGRID_* variables override it (docs/operations.md#configuration)"),
		check: fs.Bool("check-config", false, "check the settings (flags, environment, --config file) without opening the store or listening, print each with where it came from (secrets hidden), and exit"),
	}
}

// envName is the environment variable of a flag.
func envName(flagName string) string {
	return "CIVICGRID_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// settingFlags are the flags a file or variable may not set: they say how to
// read the settings, not what they are.
var settingFlags = map[string]bool{"config": true, "check-config": true}

// layerSettings fills the flags the command line left unset from the
// environment, then from the config file, and returns where each flag's
// value came from. A value that does not parse, or a key of the file that
// names no flag, is an error naming its source.
func layerSettings(fs *flag.FlagSet, cfg *configFlags, getenv func(string) string) (map[string]string, error) {
	source := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) { source[f.Name] = fromDefault })
	fs.Visit(func(f *flag.Flag) { source[f.Name] = fromFlag })
	path := *cfg.path
	if path == "" && source["config"] == fromDefault {
		path = getenv("CIVICGRID_CONFIG")
	}
	file := map[string]any{}
	if path != "" {
		if _, err := toml.DecodeFile(path, &file); err != nil {
			return nil, fmt.Errorf("--config %s: %w", path, err)
		}
	}
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if source[f.Name] == fromFlag || settingFlags[f.Name] {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", envName(f.Name), v, err))
				return
			}
			source[f.Name] = fromEnv
			return
		}
		v, ok := file[f.Name]
		if !ok {
			return
		}
		text, err := settingText(v)
		if err == nil {
			err = fs.Set(f.Name, text)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("--config %s: %s: %w", path, f.Name, err))
			return
		}
		source[f.Name] = fromFile
	})
	keys := make([]string, 0, len(file))
	for k := range file {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if fs.Lookup(k) == nil || settingFlags[k] {
			errs = append(errs, fmt.Errorf("--config %s: %q is not a setting of %s (the keys are its flag names: civicgrid %s -h)", path, k, fs.Name(), fs.Name()))
		}
	}
	return source, errors.Join(errs...)
}

// settingText turns a file value into the text its flag parses; tables and
// arrays are refused, as no flag takes one.
func settingText(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case bool, int64, float64:
		return fmt.Sprint(v), nil
	}
	return "", fmt.Errorf("a %T is not a setting's value (write a string, number or true/false)", v)
}

// secretSetting says whether a flag's value must not be printed.
func secretSetting(name string) bool {
	for _, s := range []string{"token", "secret", "key", "password"} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// printSettings writes each setting, its value (secrets hidden) and its
// source, for --check-config.
func printSettings(w io.Writer, fs *flag.FlagSet, source map[string]string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "setting\tvalue\tfrom")
	fs.VisitAll(func(f *flag.Flag) {
		if settingFlags[f.Name] {
			return
		}
		v := f.Value.String()
		if secretSetting(f.Name) && v != "" {
			v = "(set, hidden)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Name, v, source[f.Name])
	})
	tw.Flush()
}

// checkListenAddr checks a HOST:PORT setting without listening.
func checkListenAddr(name, addr string) error {
	if addr == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("--%s: %w", name, err)
	}
	return nil
}
