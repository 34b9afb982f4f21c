package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/revledger/revledger/extract/revolut/revoluttest"
	"github.com/revledger/revledger/internal/testenv"
	"github.com/revledger/revledger/tenancy"
)

// runCLIInput is runCLI with a stdin: typed (a terminal) or piped.
func runCLIInput(t *testing.T, env map[string]string, stdin string, terminal bool, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &environment{stdout: &out, stderr: &errOut, getenv: func(k string) string { return env[k] },
		stdin: strings.NewReader(stdin), stdinIsTerminal: terminal}
	code := run(context.Background(), e, args)
	return code, out.String(), errOut.String()
}

func newSecretKey(t *testing.T) string {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(k)
}

func count(t *testing.T, dsn, query string, args ...any) int {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var n int
	if err := pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// The whole life of a business through the CLI: add, list, auth exchange and status, export,
// rotate the key, delete with and without confirmation. No secret is ever printed.
func TestBusinessCommands(t *testing.T) {
	t.Parallel()
	fake := revoluttest.NewTestServer(t, revoluttest.Options{Seed: 5, Transactions: 20})
	creds := fake.Credentials()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "acme.pem")
	if err := os.WriteFile(keyFile, creds.PrivateKeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	dsn := testenv.Database(t)
	secret := newSecretKey(t)
	env := map[string]string{"REVLEDGER_DATABASE_URL": dsn}
	var printed strings.Builder
	cli := func(stdin string, terminal bool, args ...string) (int, string, string) {
		t.Helper()
		code, out, errOut := runCLIInput(t, env, stdin, terminal, args...)
		printed.WriteString(out + errOut)
		return code, out, errOut
	}
	add := []string{"business", "add", "--slug", "acme", "--name", "Acme Ltd", "--client-id", creds.ClientID,
		"--issuer", creds.Issuer, "--key-file", keyFile, "--api-url", fake.URL(), "--export-url", filepath.Join(dir, "exports", "acme")}

	// Without the secret key: exit 2, saying what to set, before the database is touched.
	code, _, errOut := cli("", false, add...)
	if code != exitUsage || !strings.Contains(errOut, "REVLEDGER_SECRET_KEY") || !strings.Contains(errOut, "openssl rand -base64 32") || !strings.Contains(errOut, "--secret-key-file") {
		t.Fatalf("add without a key: exit %d: %s", code, errOut)
	}
	if n := count(t, dsn, "SELECT count(*) FROM pg_namespace WHERE nspname = 'revledger'"); n != 0 {
		t.Fatal("add without a key created the control schema")
	}
	// Bad settings: exit 2, every problem named.
	env["REVLEDGER_SECRET_KEY"] = secret
	code, _, errOut = cli("", false, "business", "add", "--slug", "Acme!", "--name", "x", "--client-id", "c", "--issuer", "e.com",
		"--key-file", keyFile, "--timezone", "Nowhere/Land", "--schedule", "sometimes")
	if code != exitUsage || !strings.Contains(errOut, "slug") || !strings.Contains(errOut, "Nowhere/Land") || !strings.Contains(errOut, "sometimes") {
		t.Fatalf("add with bad settings: exit %d: %s", code, errOut)
	}

	code, out, errOut := cli("", false, add...)
	if code != exitOK || !strings.Contains(out, "biz_acme") || !strings.Contains(out, "auth exchange --business acme") {
		t.Fatalf("add: exit %d: %s %s", code, out, errOut)
	}
	if code, _, errOut = cli("", false, add...); code != exitUsage || !strings.Contains(errOut, "exists") {
		t.Fatalf("add twice: exit %d: %s", code, errOut)
	}
	code, out, _ = cli("", false, "business", "list")
	if code != exitOK || !strings.Contains(out, "acme") || !strings.Contains(out, "Acme Ltd") || !strings.Contains(out, "0 2 * * *") {
		t.Fatalf("list: exit %d: %s", code, out)
	}

	// auth exchange --business stores the refresh token encrypted; status uses it.
	code, out, errOut = cli("", false, "auth", "exchange", "--business", "acme", "--code", creds.AuthCode)
	if code != exitOK {
		t.Fatalf("auth exchange --business: exit %d: %s %s", code, out, errOut)
	}
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	keys, err := tenancy.LoadKeyring(func(k string) string { return env[k] }, "")
	if err != nil {
		t.Fatal(err)
	}
	stored, err := tenancy.NewRegistry(pool, keys).Credentials(context.Background(), "acme")
	if err != nil || stored.RefreshToken == "" {
		t.Fatalf("stored refresh token: %v", err)
	}
	if code, out, errOut = cli("", false, "auth", "status", "--business", "acme"); code != exitOK || !strings.Contains(out, "works") {
		t.Fatalf("auth status --business: exit %d: %s %s", code, out, errOut)
	}

	// Export: settings without secrets, and the warehouse's tables.
	exportDir := filepath.Join(dir, "export")
	if code, out, errOut = cli("", false, "business", "export", "--slug", "acme", "--out", exportDir); code != exitOK {
		t.Fatalf("export: exit %d: %s %s", code, out, errOut)
	}
	settings, err := os.ReadFile(filepath.Join(exportDir, "business.json"))
	if err != nil || !bytes.Contains(settings, []byte(`"Slug": "acme"`)) {
		t.Fatalf("business.json: %s, %v", settings, err)
	}
	for _, f := range []string{"tables/transactions.csv", "tables/ledger_rows.csv", "ledger_current.csv", "README.txt"} {
		if _, err := os.Stat(filepath.Join(exportDir, f)); err != nil {
			t.Errorf("export lacks %s: %v", f, err)
		}
	}
	filepath.WalkDir(exportDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(path)
			if bytes.Contains(data, []byte(stored.RefreshToken)) || bytes.Contains(data, []byte("PRIVATE KEY")) {
				t.Errorf("%s holds a secret", path)
			}
		}
		return nil
	})

	// Rotate the key: the old key alone no longer opens the secrets, the new one does.
	newKey := newSecretKey(t)
	newKeyFile := filepath.Join(dir, "new.key")
	if err := os.WriteFile(newKeyFile, []byte(newKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = cli("", false, "business", "rotate-key", "--new-key-file", newKeyFile)
	if code != exitOK || !strings.Contains(out, "Re-encrypted 2 secrets") {
		t.Fatalf("rotate-key: exit %d: %s %s", code, out, errOut)
	}
	if code, _, errOut = cli("", false, "auth", "status", "--business", "acme"); code == exitOK || !strings.Contains(errOut, "cannot be decrypted") {
		t.Fatalf("status with the old key after rotation: exit %d: %s", code, errOut)
	}
	if code, out, errOut = cli("", false, "auth", "status", "--business", "acme", "--secret-key-file", newKeyFile); code != exitOK {
		t.Fatalf("status with the new key file: exit %d: %s %s", code, out, errOut)
	}
	env["REVLEDGER_SECRET_KEY"] = newKey

	// Delete: refused without a terminal or --yes, refused on a wrong answer, done on the slug.
	if code, _, errOut = cli("", false, "business", "delete", "--slug", "acme"); code != exitUsage || !strings.Contains(errOut, "--yes") {
		t.Fatalf("delete from a pipe without --yes: exit %d: %s", code, errOut)
	}
	if code, _, errOut = cli("acne\n", true, "business", "delete", "--slug", "acme"); code != exitUsage || !strings.Contains(errOut, "nothing was deleted") {
		t.Fatalf("delete with a wrong confirmation: exit %d: %s", code, errOut)
	}
	if n := count(t, dsn, "SELECT count(*) FROM pg_namespace WHERE nspname = 'biz_acme'"); n != 1 {
		t.Fatal("the schema went although the deletion was not confirmed")
	}
	if code, out, errOut = cli("acme\n", true, "business", "delete", "--slug", "acme"); code != exitOK || !strings.Contains(out, "Deleted acme") {
		t.Fatalf("delete confirmed: exit %d: %s %s", code, out, errOut)
	}
	if n := count(t, dsn, "SELECT count(*) FROM pg_namespace WHERE nspname = 'biz_acme'") +
		count(t, dsn, "SELECT count(*) FROM revledger.businesses") + count(t, dsn, "SELECT count(*) FROM revledger.business_secrets"); n != 0 {
		t.Fatalf("%d traces of acme after delete", n)
	}
	if code, _, errOut = cli("", false, "business", "delete", "--slug", "acme", "--yes"); code != exitUsage || !strings.Contains(errOut, "no business") {
		t.Fatalf("delete again: exit %d: %s", code, errOut)
	}

	all := printed.String()
	for name, s := range map[string]string{"refresh token": stored.RefreshToken, "old secret key": secret, "new secret key": newKey, "private key": "PRIVATE KEY"} {
		if strings.Contains(all, s) {
			t.Errorf("the %s was printed", name)
		}
	}
}
