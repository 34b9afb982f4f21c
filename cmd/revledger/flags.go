package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// errHelp is returned after a command printed its help: not a failure.
var errHelp = errors.New("help printed")

// commonFlags are accepted by every command that touches the warehouse or the API.
type commonFlags struct {
	configFile  string
	databaseURL string
	exportURL   string
	apiURL      string
	logFormat   string
	logLevel    string
}

// newFlagSet makes a command's flag set with the common flags. usage is the command's
// synopsis and description, printed above the flags by --help.
func newFlagSet(env *environment, name, usage string) (*flag.FlagSet, *commonFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	cf := &commonFlags{}
	fs.StringVar(&cf.configFile, "config", "", "YAML config file (default $REVLEDGER_CONFIG)")
	fs.StringVar(&cf.databaseURL, "database-url", "", "PostgreSQL connection string (default $REVLEDGER_DATABASE_URL or $DATABASE_URL)")
	fs.StringVar(&cf.exportURL, "export-url", "", "where exports go: s3://bucket/prefix or file:///path (default $REVLEDGER_EXPORT_URL, else ./exports)")
	fs.StringVar(&cf.apiURL, "api-url", "", "Revolut API base URL (default $REVOLUT_API_URL, else production)")
	fs.StringVar(&cf.logFormat, "log-format", "auto", "log format: text, json, or auto (text on a terminal, JSON otherwise)")
	fs.StringVar(&cf.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\n\nFlags:\n", strings.TrimSpace(usage))
		fs.PrintDefaults()
	}
	return fs, cf
}

// parse parses args, turning -h into errHelp and bad flags into a usage error.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (see --help)", fs.Arg(0))
	}
	return nil
}

// config assembles the configuration: defaults, then the YAML file, then the environment,
// then the flags.
func (cf *commonFlags) config(env *environment) (Config, error) {
	cfg := defaultConfig()
	path := cf.configFile
	if path == "" {
		path = env.getenv("REVLEDGER_CONFIG")
	}
	if path != "" {
		if err := loadFile(&cfg, path); err != nil {
			return Config{}, usageError{err}
		}
	}
	applyEnv(&cfg, env.getenv)
	if cf.databaseURL != "" {
		cfg.DatabaseURL = cf.databaseURL
	}
	if cf.exportURL != "" {
		cfg.Export.URL = cf.exportURL
	}
	if cf.apiURL != "" {
		cfg.Revolut.APIURL = cf.apiURL
	}
	cfg.Chart = cfg.Chart.WithDefaults()
	return cfg, nil
}

// logger builds the command's logger: text on a terminal, JSON otherwise, unless told.
func (cf *commonFlags) logger(env *environment) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cf.logLevel)); err != nil {
		return nil, usagef("--log-level %q: use debug, info, warn or error", cf.logLevel)
	}
	return newLogger(env.stderr, cf.logFormat, level, env.isTerminal)
}

func newLogger(w io.Writer, format string, level slog.Level, terminal bool) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "auto", "":
		if terminal {
			return slog.New(slog.NewTextHandler(w, opts)), nil
		}
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, usagef("--log-format %q: use text, json or auto", format)
	}
}
