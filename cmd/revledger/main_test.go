package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs the command line in-process with the given environment.
func runCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &environment{stdout: &out, stderr: &errOut, getenv: func(k string) string { return env[k] }}
	code = run(context.Background(), e, args)
	return code, out.String(), errOut.String()
}

func TestHelp(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI(t, nil, "help")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, c := range commands() {
		if !strings.Contains(out, c.name) {
			t.Errorf("help does not list %q", c.name)
		}
	}
	code, _, errOut := runCLI(t, nil, "backfill", "--help")
	if code != exitOK || !strings.Contains(errOut, "--from") {
		t.Fatalf("backfill --help: exit %d, output %q", code, errOut)
	}
	code, _, errOut = runCLI(t, nil, "frobnicate")
	if code != exitUsage || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Fatalf("unknown command: exit %d, %q", code, errOut)
	}
}

// TestConfigPrecedence checks flags > environment > file > defaults.
func TestConfigPrecedence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "config.yaml")
	yaml := "company: From File\ndatabase_url: postgres://file/db\nexport:\n  url: s3://file-bucket/x\nrevolut:\n  client_id: file-client\n  rate_per_minute: 30\nsync:\n  expenses_window_days: 90\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"REVLEDGER_CONFIG":       file,
		"REVLEDGER_DATABASE_URL": "postgres://env/db",
		"REVOLUT_CLIENT_ID":      "env-client",
	}
	e := &environment{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: func(k string) string { return env[k] }}
	fs, cf := newFlagSet(e, "sync", "")
	if err := parse(fs, []string{"--export-url", "file:///flag/exports"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := cf.config(e)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"company (file over default)", cfg.Company, "From File"},
		{"database (env over file)", cfg.DatabaseURL, "postgres://env/db"},
		{"client id (env over file)", cfg.Revolut.ClientID, "env-client"},
		{"export (flag over file)", cfg.Export.URL, "file:///flag/exports"},
		{"time zone (default)", cfg.TimeZone, "Europe/London"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if cfg.Revolut.RatePerMinute != 30 || cfg.Sync.ExpensesWindowDays != 90 || cfg.Sync.TransactionsLookbackDays != 30 {
		t.Errorf("numbers: rate %d, expenses window %d, look-back %d", cfg.Revolut.RatePerMinute, cfg.Sync.ExpensesWindowDays, cfg.Sync.TransactionsLookbackDays)
	}
	if cfg.Chart.Suspense != "9999" {
		t.Errorf("chart defaults not filled in: suspense %q", cfg.Chart.Suspense)
	}
}

// TestBadConfigStopsBeforeAnything checks that configuration and credential problems exit
// with status 2 and a message that says what to fix, before any connection is made (the
// database URL points at a port nothing listens on, so touching it would fail differently).
func TestBadConfigStopsBeforeAnything(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	openKey := filepath.Join(dir, "open.pem")
	if err := os.WriteFile(openKey, []byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	typo := filepath.Join(dir, "typo.yaml")
	if err := os.WriteFile(typo, []byte("sync:\n  expense_window_days: 10\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{
		"REVLEDGER_DATABASE_URL":   "postgres://nobody@127.0.0.1:1/none",
		"REVOLUT_CLIENT_ID":        "client",
		"REVOLUT_ISSUER":           "example.com",
		"REVOLUT_PRIVATE_KEY_FILE": openKey,
		"REVOLUT_REFRESH_TOKEN":    "oa_prod_secret_refresh_token_value",
	}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"readable key", base, []string{"sync"}, "chmod 600"},
		{"no database", with("REVLEDGER_DATABASE_URL", ""), []string{"sync"}, "REVLEDGER_DATABASE_URL"},
		{"no client id", with("REVOLUT_CLIENT_ID", ""), []string{"sync"}, "REVOLUT_CLIENT_ID"},
		{"issuer with scheme", with("REVOLUT_ISSUER", "https://example.com/cb"), []string{"sync"}, "bare host"},
		{"bad export URL", with("REVLEDGER_EXPORT_URL", "ftp://x/y"), []string{"sync"}, "s3://bucket/prefix"},
		{"config typo", with("REVLEDGER_CONFIG", typo), []string{"sync"}, "expense_window_days"},
		{"backfill without --to", base, []string{"backfill", "--from", "2026-01-01"}, "--from and --to"},
		{"backfill reversed", base, []string{"backfill", "--from", "2026-02-01", "--to", "2026-01-01"}, "must be before"},
		{"no key file", with("REVOLUT_PRIVATE_KEY_FILE", ""), []string{"sync"}, "REVOLUT_PRIVATE_KEY_FILE"},
		{"bad time zone", with("REVLEDGER_CONFIG", writeFile(t, dir, "tz.yaml", "time_zone: Mars/Olympus\n")), []string{"sync"}, "IANA"},
		{"bad base currency", with("REVLEDGER_CONFIG", writeFile(t, dir, "cur.yaml", "export:\n  base_currency: gbp\n")), []string{"sync"}, "base_currency"},
		{"export needs a period", base, []string{"export"}, "--period"},
		{"export bad period", base, []string{"export", "--period", "2026-13"}, "YYYY-MM"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := runCLI(t, tc.env, tc.args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr %q", code, exitUsage, errOut)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Fatalf("stderr %q does not mention %q", errOut, tc.want)
			}
			if strings.Contains(errOut, "oa_prod_secret_refresh_token_value") {
				t.Fatal("the refresh token appears in the error output")
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExportPeriods(t *testing.T) {
	t.Parallel()
	got, err := exportPeriods("", "2025-11", "2026-02")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got {
		names = append(names, p.String())
	}
	if strings.Join(names, ",") != "2025-11,2025-12,2026-01,2026-02" {
		t.Fatalf("periods = %v", names)
	}
	if _, err := exportPeriods("2026-01", "2025-11", ""); err == nil {
		t.Fatal("--period with --from accepted")
	}
}
