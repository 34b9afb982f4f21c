package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/revledger/revledger/extract/revolut/revoluttest"
	"github.com/revledger/revledger/internal/testenv"
)

// TestAuthExchangeAndStatus exchanges the fake's consent code through the CLI, checks the
// stored token file (mode 0600, the token inside, nothing printed), then revokes the token
// and checks that status fails with instructions and without the secret.
func TestAuthExchangeAndStatus(t *testing.T) {
	t.Parallel()
	fake := revoluttest.NewTestServer(t, revoluttest.Options{Seed: 2, Transactions: 50})
	creds := fake.Credentials()
	dir := t.TempDir()
	key := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(key, creds.PrivateKeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "state", "token.json")
	env := map[string]string{
		"REVOLUT_API_URL":          fake.URL(),
		"REVOLUT_CLIENT_ID":        creds.ClientID,
		"REVOLUT_ISSUER":           creds.Issuer,
		"REVOLUT_PRIVATE_KEY_FILE": key,
	}

	code, out, errOut := runCLI(t, env, "auth", "exchange", "--code", creds.AuthCode, "--token-file", tokenFile)
	if code != exitOK {
		t.Fatalf("exchange: exit %d: %s", code, errOut)
	}
	info, err := os.Stat(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %o, want 600", info.Mode().Perm())
	}
	stored, err := loadToken(tokenFile)
	if err != nil || stored.RefreshToken == "" {
		t.Fatalf("stored token: %v", err)
	}
	if strings.Contains(out+errOut, stored.RefreshToken) {
		t.Fatal("the refresh token was printed")
	}

	code, out, errOut = runCLI(t, env, "auth", "status", "--token-file", tokenFile)
	if code != exitOK || !strings.Contains(out, "works") {
		t.Fatalf("status: exit %d: %s %s", code, out, errOut)
	}

	fake.RevokeRefreshToken()
	code, out, errOut = runCLI(t, env, "auth", "status", "--token-file", tokenFile)
	if code == exitOK {
		t.Fatalf("status after revocation succeeded: %s", out)
	}
	if !strings.Contains(errOut, "auth exchange") {
		t.Errorf("the failure does not say how to re-authorise: %s", errOut)
	}
	if strings.Contains(out+errOut, stored.RefreshToken) {
		t.Fatal("the refresh token was printed")
	}

	// The sync stops before touching anything: exit 2, with the same instructions. The
	// database is real (it is probed before Revolut is called) and stays empty.
	env["REVLEDGER_DATABASE_URL"] = testenv.Database(t)
	env["REVLEDGER_EXPORT_URL"] = filepath.Join(dir, "exports")
	env["REVOLUT_REFRESH_TOKEN"] = stored.RefreshToken
	code, _, errOut = runCLI(t, env, "sync")
	if code != exitUsage || !strings.Contains(errOut, "auth exchange") {
		t.Fatalf("sync with a revoked token: exit %d: %s", code, errOut)
	}
	untouched(t, env["REVLEDGER_DATABASE_URL"])
}
