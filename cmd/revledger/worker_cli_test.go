package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/revledger/revledger/internal/testenv"
	"github.com/revledger/revledger/tenancy"
)

func TestWorkerSettings(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	file := WorkerConfig{JobTimeout: 10 * time.Minute, RescueAfter: 20 * time.Minute}

	// Defaults: 1h and 90m.
	got, err := workerSettings(WorkerConfig{}, env(nil), 0, 0)
	if err != nil || got.JobTimeout != time.Hour || got.RescueAfter != 90*time.Minute {
		t.Errorf("defaults: %+v, %v", got, err)
	}
	// The file over the defaults, the environment over the file, the flags over both.
	got, err = workerSettings(file, env(map[string]string{"REVLEDGER_WORKER_RESCUE_AFTER": "30m"}), 0, 0)
	if err != nil || got.JobTimeout != 10*time.Minute || got.RescueAfter != 30*time.Minute {
		t.Errorf("file and environment: %+v, %v", got, err)
	}
	got, err = workerSettings(file, env(map[string]string{"REVLEDGER_WORKER_JOB_TIMEOUT": "15m"}), 5*time.Minute, 6*time.Minute)
	if err != nil || got.JobTimeout != 5*time.Minute || got.RescueAfter != 6*time.Minute {
		t.Errorf("flags: %+v, %v", got, err)
	}
	// A rescue before the timeout would run a live job twice; a bad duration is named.
	if _, err := workerSettings(file, env(nil), 30*time.Minute, 0); err == nil || !strings.Contains(err.Error(), "must be longer than the job timeout") {
		t.Errorf("rescue before timeout: %v", err)
	}
	if _, err := workerSettings(file, env(map[string]string{"REVLEDGER_WORKER_JOB_TIMEOUT": "soon"}), 0, 0); err == nil || !strings.Contains(err.Error(), "REVLEDGER_WORKER_JOB_TIMEOUT") {
		t.Errorf("bad duration: %v", err)
	}
}

// TestBusinessSyncAndBackfillEnqueue queues jobs through the CLI and reads them back with
// `revledger status`.
func TestBusinessSyncAndBackfillEnqueue(t *testing.T) {
	dsn := testenv.Database(t)
	ctx := context.Background()
	env := map[string]string{"REVLEDGER_DATABASE_URL": dsn}

	code, out, _ := runCLI(t, env, "status")
	if code != exitOK || !strings.Contains(out, "No business registered") {
		t.Fatalf("status of an empty database: exit %d, %q", code, out)
	}

	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	keys, err := tenancy.NewKeyring(secret)
	if err != nil {
		t.Fatal(err)
	}
	reg := tenancy.NewRegistry(pool, keys)
	if err := reg.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	if _, err := reg.Add(ctx, tenancy.Business{Slug: "acme", Name: "Acme Ltd", ClientID: "c", Issuer: "example.com",
		APIURL: "http://127.0.0.1:1/api/1.0"}, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runCLI(t, env, "business", "sync", "--slug", "acme")
	if code != exitOK || !strings.Contains(out, "Sync of acme queued") {
		t.Fatalf("business sync: exit %d, %q %q", code, out, errOut)
	}
	code, out, _ = runCLI(t, env, "business", "sync", "--slug", "acme")
	if code != exitOK || !strings.Contains(out, "already queued or running") {
		t.Fatalf("second business sync: exit %d, %q", code, out)
	}
	// [2026-01-15, 2026-03-01): January from the 15th, February.
	code, out, errOut = runCLI(t, env, "business", "backfill", "--slug", "acme", "--from", "2026-01-15", "--to", "2026-03-01")
	if code != exitOK || !strings.Contains(out, "2 monthly jobs queued, 0 already") {
		t.Fatalf("business backfill: exit %d, %q %q", code, out, errOut)
	}
	code, _, errOut = runCLI(t, env, "business", "sync", "--slug", "nobody")
	if code != exitUsage || !strings.Contains(errOut, `no business "nobody"`) {
		t.Fatalf("sync of an unknown business: exit %d, %q", code, errOut)
	}
	code, _, errOut = runCLI(t, env, "business", "backfill", "--slug", "acme", "--from", "2026-03-01", "--to", "2026-01-01")
	if code != exitUsage {
		t.Fatalf("backfill with from after to: exit %d, %q", code, errOut)
	}

	code, out, _ = runCLI(t, env, "status")
	if code != exitOK {
		t.Fatalf("status: exit %d", code)
	}
	var row string
	for l := range strings.Lines(out) {
		if strings.HasPrefix(l, "acme ") {
			row = l
		}
	}
	// Three jobs queued (one sync, two chunks), none run: never synced, next run at 02:00.
	if f := strings.Fields(row); len(f) < 10 || f[1] != "active" || f[2] != "-" || !strings.Contains(row, "never synced") || f[len(f)-2] != "3" || f[len(f)-1] != "0" {
		t.Errorf("status row %q\n%s", row, out)
	}
}
