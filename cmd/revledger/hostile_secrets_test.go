package main

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/revledger/revledger/extract/revolut/revoluttest"
	"github.com/revledger/revledger/internal/testenv"
)

// TestS3EchoLeaksNoSecret: an S3 endpoint that echoes each request's Authorization header
// and query into its error answer (as a misconfigured gateway does) makes the sync fail (at
// the export location's probe, before anything is touched);
// what the CLI prints (errors and every log record) and the run history's error column
// carry neither the AWS access key id, nor the secret key (which SigV4 never sends: only
// its HMAC), nor the signature, nor any Revolut credential.
//
// Not parallel: the AWS SDK reads its credentials and endpoint from the process environment.
func TestS3EchoLeaksNoSecret(t *testing.T) {
	const (
		accessKeyID = "REVLEDGERECHOKEYID77"
		secretKey   = "echoSecretKey/with+slash=and-more-0123456789"
	)
	var mu sync.Mutex
	var signatures []string
	var requests int
	s3 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		mu.Lock()
		requests++
		if _, sig, ok := strings.Cut(auth, "Signature="); ok {
			signatures = append(signatures, sig)
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>%s</Message><RequestId>echo-1</RequestId></Error>`,
			html.EscapeString(fmt.Sprintf("denied %s %s?%s Authorization: %s X-Amz-Content-Sha256: %s", r.Method, r.URL.Path, r.URL.RawQuery, auth, r.Header.Get("X-Amz-Content-Sha256"))))
	}))
	t.Cleanup(s3.Close)

	fake := revoluttest.NewTestServer(t, revoluttest.Options{Seed: 31, Transactions: 60, Span: 10 * 24 * time.Hour})
	creds := fake.Credentials()
	dir := t.TempDir()
	key := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(key, creds.PrivateKeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	dsn := testenv.Database(t)
	// The default 60 requests a minute would make this test take a minute.
	cfgFile := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgFile, []byte("revolut:\n  rate_per_minute: 60000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"REVLEDGER_CONFIG":         cfgFile,
		"REVLEDGER_DATABASE_URL":   dsn,
		"REVOLUT_API_URL":          fake.URL(),
		"REVOLUT_CLIENT_ID":        creds.ClientID,
		"REVOLUT_ISSUER":           creds.Issuer,
		"REVOLUT_PRIVATE_KEY_FILE": key,
		"REVOLUT_REFRESH_TOKEN":    creds.RefreshToken,
		"REVLEDGER_EXPORT_URL":     "s3://echo-bucket/books",
		"AWS_ACCESS_KEY_ID":        accessKeyID,
		"AWS_SECRET_ACCESS_KEY":    secretKey,
		"AWS_REGION":               "us-east-1",
		"AWS_ENDPOINT_URL_S3":      s3.URL,
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_ENDPOINT_URL_S3"} {
		t.Setenv(k, env[k])
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))

	code, out, errOut := runCLI(t, env, "sync", "--log-format", "text")
	if code == exitOK {
		t.Fatalf("sync against an S3 endpoint answering only 403 succeeded:\n%s", errOut)
	}
	mu.Lock()
	defer mu.Unlock()
	if requests == 0 || len(signatures) == 0 {
		t.Fatalf("the S3 endpoint saw %d requests, %d signed: the echo was not exercised (exit %d):\n%s", requests, len(signatures), code, errOut)
	}
	texts := map[string]string{"stdout": out, "stderr": errOut}
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// The export location is probed before anything is touched, so the 403 normally stops the
	// command (exit 2) before the run history exists; when it does exist, its errors are
	// checked too.
	var haveRuns bool
	if err := conn.QueryRow(context.Background(), "SELECT to_regclass('runs') IS NOT NULL").Scan(&haveRuns); err != nil {
		t.Fatal(err)
	}
	if !haveRuns && code != exitUsage {
		t.Fatalf("exit %d without a run history: a refused export location must exit %d before touching the database", code, exitUsage)
	}
	query := "SELECT id, coalesce(error, '') FROM runs"
	if !haveRuns {
		query = "SELECT 0::bigint, ''::text WHERE false"
	}
	rows, err := conn.Query(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var e string
		if err := rows.Scan(&id, &e); err != nil {
			t.Fatal(err)
		}
		texts[fmt.Sprintf("runs.error of run %d", id)] = e
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	needles := map[string]string{"AWS access key id": accessKeyID, "AWS secret key": secretKey, "refresh token": creds.RefreshToken}
	for i, s := range signatures {
		needles[fmt.Sprintf("signature %d", i)] = s
	}
	echoed := false
	for name, text := range texts {
		echoed = echoed || strings.Contains(text, "Credential=[redacted]")
		for what, s := range needles {
			if strings.Contains(text, s) {
				t.Errorf("%s carries the %s", name, what)
			}
		}
		if strings.Contains(text, "eyJ") {
			t.Errorf("%s carries a JWT", name)
		}
	}
	if !echoed {
		t.Errorf("no output shows the redacted echo (\"Credential=[redacted]\"): the S3 error never reached it\n%s", errOut)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	t.Logf("exit %d, %d S3 requests echoed, %d runs recorded; last line printed:\n%s", code, requests, len(texts)-2, lines[len(lines)-1])
}
