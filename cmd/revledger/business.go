package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"gopkg.in/yaml.v3"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/internal/redact"
	"github.com/revledger/revledger/ratelimit"
	"github.com/revledger/revledger/tenancy"
)

const businessUsage = `
Usage:
  revledger business add --slug acme --name "Acme Ltd" --client-id ID --issuer example.com --key-file private.pem
                         [--timezone Europe/London] [--base-currency GBP] [--export-url s3://bucket/acme]
                         [--api-url URL] [--schedule "0 2 * * *"] [--chart-file chart.yaml]
  revledger business list
  revledger business pause --slug acme          stop syncing it (its data is kept)
  revledger business resume --slug acme
  revledger business delete --slug acme [--yes] delete it and ALL its data (asks you to type the slug)
  revledger business export --slug acme --out DIR
                                                its settings (no secrets) and every warehouse table as CSV
  revledger business rotate-key --new-key-file new.key
                                                re-encrypt every stored secret with a new key
  revledger business sync --slug acme           queue a sync for the workers (revledger worker)
  revledger business backfill --slug acme --from 2025-01-01 --to 2026-01-01
                                                queue a backfill, one job per month

Multi-business mode: one database holds the registry of businesses (schema revledger) and the
warehouse of each business (schema biz_<slug>). Every business's API private key and refresh
token are stored encrypted with the key in REVLEDGER_SECRET_KEY (32 random bytes in base64:
openssl rand -base64 32) or in --secret-key-file. After 'business add', run
  revledger auth exchange --business acme --code CODE
with the consent code of that business (see 'revledger auth --help').
`

func runBusiness(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(env.stdout, businessUsage)
		if len(args) == 0 {
			return usagef("business needs a subcommand: add, list, pause, resume, delete, export or rotate-key")
		}
		return errHelp
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "add":
		return businessAdd(ctx, env, args)
	case "list":
		return businessList(ctx, env, args)
	case "pause", "resume":
		return businessSetState(ctx, env, sub, args)
	case "delete":
		return businessDelete(ctx, env, args)
	case "export":
		return businessExport(ctx, env, args)
	case "rotate-key":
		return businessRotateKey(ctx, env, args)
	case "sync": // enqueue.go: jobs for `revledger worker`
		return runBusinessSync(ctx, env, args)
	case "backfill":
		return runBusinessBackfill(ctx, env, args)
	default:
		return usagef("unknown business subcommand %q: use add, list, pause, resume, delete, export or rotate-key", sub)
	}
}

// businessFlags are what every business subcommand accepts beside the common flags.
type businessFlags struct {
	fs            *flag.FlagSet
	common        *commonFlags
	secretKeyFile *string
}

func newBusinessFlagSet(env *environment, sub string) *businessFlags {
	fs, cf := newFlagSet(env, "business "+sub, businessUsage)
	return &businessFlags{
		fs: fs, common: cf,
		secretKeyFile: fs.String("secret-key-file", "", "file holding the secret key (base64, current key first; default $"+tenancy.EnvSecretKey+")"),
	}
}

// connect checks the database setting, then connects and migrates the control schema. The
// connection string comes from the same flag, environment and config file as every command.
func (bf *businessFlags) connect(ctx context.Context, env *environment) (*pgxpool.Pool, error) {
	cfg, err := bf.common.config(env)
	if err != nil {
		return nil, err
	}
	if cfg.DatabaseURL == "" {
		return nil, usagef("no database: set REVLEDGER_DATABASE_URL (or DATABASE_URL, --database-url, database_url in the config file)")
	}
	pcfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, usagef("REVLEDGER_DATABASE_URL is not a valid PostgreSQL connection string: use postgres://user:password@host:5432/database")
	}
	if pw := pcfg.ConnConfig.Password; pw != "" {
		redact.Secret(pw)
	}
	pcfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("connect to the database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to the database %s/%s: %w", pcfg.ConnConfig.Host, pcfg.ConnConfig.Database, err)
	}
	return pool, nil
}

// keyring loads the secret key (a usage error if missing or malformed), registering every
// key with the redactor first.
func (bf *businessFlags) keyring(env *environment) (*tenancy.Keyring, error) {
	return loadKeyring(env, *bf.secretKeyFile)
}

func loadKeyring(env *environment, file string) (*tenancy.Keyring, error) {
	redact.Secret(strings.TrimSpace(env.getenv(tenancy.EnvSecretKey)))
	for k := range strings.SplitSeq(env.getenv(tenancy.EnvOldSecretKeys), ",") {
		redact.Secret(strings.TrimSpace(k))
	}
	if file != "" {
		if data, err := os.ReadFile(file); err == nil {
			for line := range strings.Lines(string(data)) {
				redact.Secret(strings.TrimSpace(line))
			}
		}
	}
	keys, err := tenancy.LoadKeyring(env.getenv, file)
	if err != nil {
		return nil, usageError{err}
	}
	return keys, nil
}

// registry connects and returns the migrated registry and its pool, which the caller
// closes. keys may be nil (list, pause, delete, export: no secret is read).
func (bf *businessFlags) registry(ctx context.Context, env *environment, keys *tenancy.Keyring) (*tenancy.Registry, *pgxpool.Pool, error) {
	pool, err := bf.connect(ctx, env)
	if err != nil {
		return nil, nil, err
	}
	reg := tenancy.NewRegistry(pool, keys)
	if err := reg.Migrate(ctx); err != nil {
		pool.Close()
		return nil, nil, err
	}
	return reg, pool, nil
}

func businessAdd(ctx context.Context, env *environment, args []string) error {
	bf := newBusinessFlagSet(env, "add")
	fs := bf.fs
	var b tenancy.Business
	var keyFile, chartFile string
	fs.StringVar(&b.Slug, "slug", "", "short name: 2-40 lower-case letters, digits or '-', starting with a letter (required)")
	fs.StringVar(&b.Name, "name", "", "the business's name, shown on its workbooks (required)")
	fs.StringVar(&b.ClientID, "client-id", "", "client ID of the business's API certificate (required)")
	fs.StringVar(&b.Issuer, "issuer", "", "host of the certificate's redirect URI (required)")
	fs.StringVar(&keyFile, "key-file", "", "PEM file of the certificate's RSA private key, mode 0600 (required; stored encrypted)")
	fs.StringVar(&b.TimeZone, "timezone", tenancy.DefaultTimeZone, "IANA time zone of its books and schedule")
	fs.StringVar(&b.BaseCurrency, "base-currency", tenancy.DefaultBaseCurrency, "ISO 4217 currency of its books")
	fs.StringVar(&b.Schedule, "schedule", tenancy.DefaultSchedule, "cron spec (5 fields, in --timezone) of its nightly sync")
	// The common --export-url and --api-url are the business's own here (see below).
	fs.Lookup("export-url").Usage = "where this business's exports go: s3://bucket/prefix, file:///path or a folder (default exports/<slug>)"
	fs.Lookup("api-url").Usage = "Revolut API base URL of this business (default production)"
	fs.StringVar(&chartFile, "chart-file", "", "YAML or JSON file with chart-of-accounts overrides (the config file's chart: section)")
	if err := parse(fs, args); err != nil {
		return err
	}
	// --export-url and --api-url are the common flags, here the business's own settings:
	// REVLEDGER_EXPORT_URL and REVOLUT_API_URL belong to single-business mode and are not read.
	b.ExportURL, b.APIURL = bf.common.exportURL, bf.common.apiURL
	if keyFile == "" {
		return usagef("business add needs --key-file: the PEM file of the business's API certificate key")
	}
	if _, err := revolut.LoadPrivateKey(keyFile); err != nil { // checks mode 0600 and parses
		return usageError{err}
	}
	pemBytes, err := os.ReadFile(keyFile)
	if err != nil {
		return usageError{fmt.Errorf("read --key-file: %w", err)}
	}
	if chartFile != "" {
		chart, err := readChartFile(chartFile)
		if err != nil {
			return usageError{err}
		}
		b.ChartOverrides = chart
	}
	b = b.WithDefaults()
	if err := b.Validate(); err != nil {
		return usageError{fmt.Errorf("business add: %w", err)}
	}
	keys, err := bf.keyring(env)
	if err != nil {
		return err
	}
	reg, pool, err := bf.registry(ctx, env, keys)
	if err != nil {
		return err
	}
	defer pool.Close()
	start := time.Now()
	stored, err := reg.Add(ctx, b, pemBytes)
	if errors.Is(err, tenancy.ErrExists) || errors.Is(err, tenancy.ErrInvalid) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Added %s (%s): warehouse schema %s ready in %s, private key stored encrypted (key %s).\n",
		stored.Slug, stored.Name, stored.Schema(), time.Since(start).Round(time.Millisecond), keys.CurrentID())
	fmt.Fprintf(env.stdout, "Next: enable API access for this business and run\n  revledger auth exchange --business %s --code <code>\n", stored.Slug)
	return nil
}

// readChartFile reads chart overrides from YAML (or JSON, which is YAML) into a JSON object.
func readChartFile(path string) (json.RawMessage, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--chart-file: %w", err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("--chart-file %s: %w", path, err)
	}
	if m == nil {
		return nil, fmt.Errorf("--chart-file %s is empty", path)
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("--chart-file %s: %w", path, err)
	}
	return out, nil
}

func businessList(ctx context.Context, env *environment, args []string) error {
	bf := newBusinessFlagSet(env, "list")
	if err := parse(bf.fs, args); err != nil {
		return err
	}
	reg, pool, err := bf.registry(ctx, env, nil)
	if err != nil {
		return err
	}
	defer pool.Close()
	list, err := reg.List(ctx)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(env.stdout, "No businesses yet: add one with `revledger business add` (see `revledger business --help`).")
		return nil
	}
	w := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "SLUG\tNAME\tSTATE\tSCHEDULE\tTIME ZONE\tCURRENCY\tEXPORT URL\tSCHEMA")
	for _, b := range list {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", b.Slug, b.Name, b.State, b.Schedule, b.TimeZone, b.BaseCurrency, b.ExportURL, b.Schema())
	}
	return w.Flush()
}

func businessSetState(ctx context.Context, env *environment, sub string, args []string) error {
	bf := newBusinessFlagSet(env, sub)
	slug := bf.fs.String("slug", "", "the business (required)")
	if err := parse(bf.fs, args); err != nil {
		return err
	}
	if *slug == "" {
		return usagef("business %s needs --slug", sub)
	}
	reg, pool, err := bf.registry(ctx, env, nil)
	if err != nil {
		return err
	}
	defer pool.Close()
	state := tenancy.StateActive
	if sub == "pause" {
		state = tenancy.StatePaused
	}
	if err := reg.SetState(ctx, *slug, state); errors.Is(err, tenancy.ErrNotFound) {
		return usagef("no business %q (see `revledger business list`)", *slug)
	} else if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "%s is now %s.\n", *slug, state)
	return nil
}

func businessDelete(ctx context.Context, env *environment, args []string) error {
	bf := newBusinessFlagSet(env, "delete")
	slug := bf.fs.String("slug", "", "the business to delete (required)")
	yes := bf.fs.Bool("yes", false, "do not ask for confirmation (for scripts)")
	if err := parse(bf.fs, args); err != nil {
		return err
	}
	if *slug == "" {
		return usagef("business delete needs --slug")
	}
	if !*yes && !env.stdinIsTerminal {
		return usagef("business delete asks you to type the slug to confirm, but stdin is not a terminal: pass --yes to delete %s without asking", *slug)
	}
	reg, pool, err := bf.registry(ctx, env, nil)
	if err != nil {
		return err
	}
	defer pool.Close()
	b, err := reg.Get(ctx, *slug)
	if errors.Is(err, tenancy.ErrNotFound) {
		return usagef("no business %q (see `revledger business list`)", *slug)
	}
	if err != nil {
		return err
	}
	if !*yes {
		fmt.Fprintf(env.stderr, "This deletes %s (%s) for good: its warehouse (schema %s, every table), its stored credentials and its settings.\n"+
			"Files already exported to %s are not touched. Type the slug to confirm: ", b.Slug, b.Name, b.Schema(), b.ExportURL)
		var line string
		if env.stdin != nil {
			line, _ = bufio.NewReader(env.stdin).ReadString('\n')
		}
		if strings.TrimSpace(line) != b.Slug {
			return usagef("you typed %q, not %q: nothing was deleted", strings.TrimSpace(line), b.Slug)
		}
	}
	if err := reg.Delete(ctx, b.Slug); errors.Is(err, tenancy.ErrBusy) {
		return fmt.Errorf("%w: %w", errLocked, err)
	} else if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Deleted %s: schema %s dropped, credentials and settings removed.\n", b.Slug, b.Schema())
	return nil
}

// exportReadme is written next to an export: what it holds and how to get a full dump.
const exportReadme = `revledger business export of %[1]s (%[2]s), taken %[3]s.

business.json   the business's settings (no secrets: its key and refresh token are not exported)
tables/*.csv    every table of its warehouse (schema %[4]s) as CSV with a header row, read in one
                consistent snapshot
ledger_current.csv
                the current ledger (the view ledger_current): what the workbooks are built from

A complete, restorable dump of the warehouse (tables, constraints, triggers) is:
  pg_dump --schema=%[4]s --format=custom --file=%[1]s.dump "$REVLEDGER_DATABASE_URL"
and restores into another database with pg_restore (the schema keeps its name).
`

func businessExport(ctx context.Context, env *environment, args []string) error {
	bf := newBusinessFlagSet(env, "export")
	slug := bf.fs.String("slug", "", "the business to export (required)")
	out := bf.fs.String("out", "", "folder to write the export into; created, must be empty if it exists (required)")
	if err := parse(bf.fs, args); err != nil {
		return err
	}
	if *slug == "" || *out == "" {
		return usagef("business export needs --slug and --out")
	}
	if entries, err := os.ReadDir(*out); err == nil && len(entries) > 0 {
		return usagef("--out %s is not empty: name a new or empty folder", *out)
	}
	reg, pool, err := bf.registry(ctx, env, nil)
	if err != nil {
		return err
	}
	defer pool.Close()
	b, err := reg.Get(ctx, *slug)
	if errors.Is(err, tenancy.ErrNotFound) {
		return usagef("no business %q (see `revledger business list`)", *slug)
	}
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(*out, "tables"), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", *out, err)
	}
	settings, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*out, "business.json"), append(settings, '\n'), 0o600); err != nil {
		return err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect to the database: %w", err)
	}
	defer conn.Release()
	tables, err := exportSchema(ctx, conn.Conn(), b.Schema(), *out)
	if err != nil {
		return fmt.Errorf("export %s: %w", b.Slug, err)
	}
	readme := fmt.Sprintf(exportReadme, b.Slug, b.Name, time.Now().UTC().Format(time.RFC3339), b.Schema())
	if err := os.WriteFile(filepath.Join(*out, "README.txt"), []byte(readme), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Exported %s to %s: business.json, %d tables and ledger_current.csv (see README.txt for a full pg_dump).\n", b.Slug, *out, tables)
	return nil
}

// exportSchema writes every table of schema, and the view ledger_current, as CSV files, all
// read in one repeatable-read snapshot so that they agree with each other.
func exportSchema(ctx context.Context, conn *pgx.Conn, schema, dir string) (int, error) {
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return 0, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	rows, _ := tx.Query(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename", schema)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, err
	}
	if len(tables) == 0 {
		return 0, fmt.Errorf("schema %s has no tables (was the business ever migrated?)", schema)
	}
	copyOut := func(query, file string) error {
		f, err := os.OpenFile(file, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		if _, err := conn.PgConn().CopyTo(ctx, f, "COPY ("+query+") TO STDOUT WITH (FORMAT csv, HEADER true)"); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", filepath.Base(file), err)
		}
		return f.Close()
	}
	for _, t := range tables {
		if err := copyOut("SELECT * FROM "+pgx.Identifier{schema, t}.Sanitize(), filepath.Join(dir, "tables", t+".csv")); err != nil {
			return 0, err
		}
	}
	if err := copyOut("SELECT * FROM "+pgx.Identifier{schema, "ledger_current"}.Sanitize(), filepath.Join(dir, "ledger_current.csv")); err != nil {
		return 0, err
	}
	return len(tables), tx.Commit(ctx)
}

func businessRotateKey(ctx context.Context, env *environment, args []string) error {
	bf := newBusinessFlagSet(env, "rotate-key")
	newKeyFile := bf.fs.String("new-key-file", "", "file holding the new key (base64 of 32 random bytes, mode 0600) (required)")
	if err := parse(bf.fs, args); err != nil {
		return err
	}
	if *newKeyFile == "" {
		return usagef("business rotate-key needs --new-key-file (make one with: (umask 077; openssl rand -base64 32 > new.key))")
	}
	keys, err := bf.keyring(env)
	if err != nil {
		return err
	}
	next, err := loadKeyring(&environment{getenv: func(string) string { return "" }}, *newKeyFile)
	if err != nil {
		return err
	}
	if next.CurrentID() == keys.CurrentID() {
		return usagef("--new-key-file holds the key already in use (%s): make a new one", keys.CurrentID())
	}
	reg, pool, err := bf.registry(ctx, env, keys)
	if err != nil {
		return err
	}
	defer pool.Close()
	n, err := reg.RotateKey(ctx, next)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Re-encrypted %d secrets with key %s (was %s).\n"+
		"Now give every revledger process the new key (REVLEDGER_SECRET_KEY or --secret-key-file) and restart it;\n"+
		"keep the old key in %s until all have restarted (docs/MULTI-BUSINESS.md, \"Rotating the key\").\n",
		n, next.CurrentID(), keys.CurrentID(), tenancy.EnvOldSecretKeys)
	return nil
}

// authBusiness is `revledger auth exchange|status --business slug`: the business's client
// from the registry, its refresh token stored encrypted, its requests within its shared budget.
func authBusiness(ctx context.Context, env *environment, cf *commonFlags, secretKeyFile, sub, slug, code string) error {
	if sub == "exchange" && code == "" {
		return usagef("auth exchange needs --code (the ?code= value Revolut appended to the business's redirect URI)")
	}
	log, err := cf.logger(env)
	if err != nil {
		return err
	}
	keys, err := loadKeyring(env, secretKeyFile)
	if err != nil {
		return err
	}
	bf := &businessFlags{common: cf}
	reg, pool, err := bf.registry(ctx, env, keys)
	if err != nil {
		return err
	}
	defer pool.Close()
	b, err := reg.Get(ctx, slug)
	if errors.Is(err, tenancy.ErrNotFound) {
		return usagef("no business %q (see `revledger business list`)", slug)
	}
	if err != nil {
		return err
	}
	rcfg, err := reg.RevolutConfig(ctx, b, log)
	if err != nil {
		return err
	}
	rcfg.Limiter = ratelimit.New(pool, ratelimit.Options{}).For(b.ID)
	switch sub {
	case "exchange":
		var got string
		rcfg.OnRefreshToken = func(t string) { got = t }
		client, err := revolut.NewClient(rcfg)
		if err != nil {
			return usageError{err}
		}
		tok, err := client.ExchangeAuthorizationCode(ctx, code)
		if err != nil {
			return fmt.Errorf("exchange the consent code of %s: %w", slug, err)
		}
		if tok.RefreshToken != "" {
			got = tok.RefreshToken
		}
		if got == "" {
			return errors.New("no refresh token in the answer from Revolut; open the consent URL again and exchange the new code")
		}
		if err := reg.SaveRefreshToken(ctx, slug, got); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "Stored the refresh token of %s, encrypted (key %s).\nThe access token works until %s. Its syncs can run now.\n",
			slug, keys.CurrentID(), tok.ExpiresAt.Local().Format(time.RFC1123))
		return nil
	case "status":
		if rcfg.RefreshToken == "" {
			return usagef("%s has no refresh token yet: run `revledger auth exchange --business %s --code ...`", slug, slug)
		}
		client, err := revolut.NewClient(rcfg)
		if err != nil {
			return usageError{err}
		}
		expires, err := client.Authenticate(ctx)
		if err != nil {
			return fmt.Errorf("the refresh token of %s does not work: %w", slug, err)
		}
		fmt.Fprintf(env.stdout, "%s: the stored refresh token works; a new access token is valid until %s\n", slug, expires.Local().Format(time.RFC1123))
		return nil
	default:
		return usagef("unknown auth subcommand %q: use exchange or status", sub)
	}
}
