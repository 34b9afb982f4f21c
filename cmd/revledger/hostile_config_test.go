package main

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"

	"github.com/revledger/revledger/extract/revolut/revoluttest"
	"github.com/revledger/revledger/internal/testenv"
)

// untouched asserts that the database at dsn was not changed: no table exists in it (so no
// migration ran and no run row was written).
func untouched(t *testing.T, dsn string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("the database has %d tables: it was migrated although the command exited 2", n)
	}
}

// fakeEnv starts the fake API and returns the environment of a working configuration against
// it, with a fresh database and a local export folder.
func fakeEnv(t *testing.T) (*revoluttest.Server, map[string]string) {
	t.Helper()
	fake := revoluttest.NewTestServer(t, revoluttest.Options{Seed: 21, Transactions: 40, End: time.Now().UTC().Truncate(24 * time.Hour)})
	creds := fake.Credentials()
	dir := t.TempDir()
	key := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(key, creds.PrivateKeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return fake, map[string]string{
		"REVLEDGER_DATABASE_URL":   testenv.Database(t),
		"REVLEDGER_EXPORT_URL":     filepath.Join(dir, "exports"),
		"REVOLUT_API_URL":          fake.URL(),
		"REVOLUT_CLIENT_ID":        creds.ClientID,
		"REVOLUT_ISSUER":           creds.Issuer,
		"REVOLUT_PRIVATE_KEY_FILE": key,
		"REVOLUT_REFRESH_TOKEN":    creds.RefreshToken,
	}
}

// TestExit2TouchesNothing is issue 21 item 8 through the real command entry: each bad setting
// exits 2 with a message that says what to fix, the fake API received no request, and the
// database (which exists and is reachable) has no schema and no run row. On the old code the
// database URL case exited 1 after calling Revolut, export --period 0000-01 exited 1 after
// migrations and a run row, and bad server_side_encryption / presign_hours exited 2 after
// migrations.
func TestExit2TouchesNothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		yaml string // config file, if any
		env  map[string]string
		args []string
		want string
	}{
		{"unparseable database URL", "", map[string]string{"REVLEDGER_DATABASE_URL": "postgres://user:s3cret@db.example:notaport/x"}, []string{"sync"}, "REVLEDGER_DATABASE_URL is not a valid PostgreSQL connection string"},
		{"export period 0000-01", "", nil, []string{"export", "--period", "0000-01"}, "period 0000-01 is outside the dates revledger books"},
		{"export period 9999-12", "", nil, []string{"export", "--period", "9999-12"}, "period 9999-12 is outside"},
		{"export 1000-01..9999-12", "", nil, []string{"export", "--from", "1000-01", "--to", "9999-12"}, "export at most 120"},
		{"export 121 months", "", nil, []string{"export", "--from", "2016-01", "--to", "2026-01"}, "is 121 months"},
		{"bad server_side_encryption", "export:\n  server_side_encryption: AES\n", nil, []string{"sync"}, "export.server_side_encryption \"AES\""},
		{"kms key without kms", "export:\n  kms_key_id: k1\n", nil, []string{"sync"}, "export.kms_key_id needs"},
		{"presign_hours too long", "export:\n  presign_hours: 200\n", nil, []string{"sync"}, "export.presign_hours 200"},
		{"negative presign_hours", "export:\n  presign_hours: -1\n", nil, []string{"export", "--period", "2026-01"}, "export.presign_hours -1"},
		{"plausible range zero", "sync:\n  plausible_past_years: 0\n", nil, []string{"sync"}, "sync.plausible_past_years must be 1 to 100"},
		{"backfill from 1826", "", nil, []string{"backfill", "--from", "1826-01-01", "--to", "1826-03-01"}, "--from 1826-01-01 is more than sync.plausible_past_years (30) ago"},
		{"backfill to 9999", "", nil, []string{"backfill", "--from", "2025-01-01", "--to", "9999-01-01"}, "--to 9999-01-01 is more than sync.plausible_future_days (7) ahead"},
		{"wrong database password", "", nil, []string{"sync"}, "the server refused it"},
		{"unknown fx.source", "fx:\n  source: oanda\n", nil, []string{"sync"}, `fx.source "oanda": use hmrc, ecb, file or none`},
		{"fx file without rates_file", "fx:\n  source: file\n", nil, []string{"sync"}, "fx.source file needs fx.rates_file"},
		{"fx rates_file missing", "fx:\n  source: file\n  rates_file: /nonexistent/rates.csv\n", nil, []string{"sync"}, `fx.rates_file "/nonexistent/rates.csv" is not a readable file`},
		{"fx.revalue without rates", "fx:\n  source: none\n  revalue: true\n", nil, []string{"sync"}, "fx.revalue needs the reference rates of an fx.source"},
		{"fx.ecb_url not http", "fx:\n  ecb_url: ftp://example.org/\n", nil, []string{"sync"}, `fx.ecb_url "ftp://example.org/" is not an http(s) URL`},
		{"fx rates_file unreadable CSV", "", nil, []string{"sync"}, "fx.rates_file: rates:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake, env := fakeEnv(t)
			dsn := env["REVLEDGER_DATABASE_URL"]
			for k, v := range tc.env {
				env[k] = v
			}
			if tc.name == "wrong database password" {
				// A role that does not exist: the server answers 28xxx, the user's to fix.
				u, err := url.Parse(dsn)
				if err != nil || u.Scheme == "" {
					t.Skipf("cannot build a wrong-role URL from the test database's")
				}
				u.User = url.UserPassword("no_such_role_h3", "pw")
				env["REVLEDGER_DATABASE_URL"] = u.String()
			}
			if tc.name == "fx rates_file unreadable CSV" {
				dir := t.TempDir()
				tc.yaml = "fx:\n  source: file\n  rates_file: " + writeFile(t, dir, "rates.csv", "this is not,a rates file\n1,2\n") + "\n"
			}
			if tc.yaml != "" {
				env["REVLEDGER_CONFIG"] = writeFile(t, t.TempDir(), "config.yaml", tc.yaml)
			}
			code, _, errOut := runCLI(t, env, tc.args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr %q", code, exitUsage, errOut)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Fatalf("stderr %q does not say %q", errOut, tc.want)
			}
			if strings.Contains(errOut, "s3cret") || strings.Contains(errOut, env["REVOLUT_REFRESH_TOKEN"]) {
				t.Fatalf("a secret appears in stderr: %q", errOut)
			}
			if st := fake.Stats(); st.Requests != 0 || st.ByPath["POST /auth/token"] != 0 {
				t.Fatalf("the fake API received %d requests (%v)", st.Requests, st.ByPath)
			}
			untouched(t, dsn)
		})
	}
}

// TestExit2WrongS3Secret is the S3 case of item 8 against a real versitygw: a wrong secret
// exits 2 before any migration, API call or run row (on the old code: exit 1 after a run
// row); the right secret passes the probe, exports, and leaves no probe object behind.
func TestExit2WrongS3Secret(t *testing.T) {
	srv := testenv.S3(t)
	fake, env := fakeEnv(t)
	dsn := env["REVLEDGER_DATABASE_URL"]
	env["REVLEDGER_EXPORT_URL"] = "s3://" + srv.Bucket + "/books"
	// The AWS SDK reads the process environment itself.
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.Endpoint)
	t.Setenv("AWS_REGION", srv.Region)
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong-"+srv.SecretAccessKey)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	code, _, errOut := runCLI(t, env, "sync")
	if code != exitUsage {
		t.Fatalf("wrong secret: exit %d, want %d; stderr %q", code, exitUsage, errOut)
	}
	for _, want := range []string{"the export location s3://" + srv.Bucket + "/books is not usable", "AWS_SECRET_ACCESS_KEY"} {
		if !strings.Contains(errOut, want) {
			t.Fatalf("stderr %q does not say %q", errOut, want)
		}
	}
	if strings.Contains(errOut, srv.SecretAccessKey) {
		t.Fatal("the S3 secret appears in stderr")
	}
	if st := fake.Stats(); st.Requests != 0 || st.ByPath["POST /auth/token"] != 0 {
		t.Fatalf("the fake API received %d requests (%v)", st.Requests, st.ByPath)
	}
	untouched(t, dsn)

	// A bucket that does not exist: also the user's to fix.
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretAccessKey)
	env["REVLEDGER_EXPORT_URL"] = "s3://no-such-bucket-h3/books"
	if code, _, errOut := runCLI(t, env, "export", "--period", time.Now().UTC().Format("2006-01")); code != exitUsage || !strings.Contains(errOut, "not usable") {
		t.Fatalf("missing bucket: exit %d; stderr %q", code, errOut)
	}
	untouched(t, dsn)

	// The right secret: the export runs (exit 0) and the probe object is gone.
	env["REVLEDGER_EXPORT_URL"] = "s3://" + srv.Bucket + "/books"
	if code, out, errOut := runCLI(t, env, "export", "--period", time.Now().UTC().Format("2006-01")); code != exitOK {
		t.Fatalf("right secret: exit %d; %s %s", code, out, errOut)
	}
	list, err := srv.Client().ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(srv.Bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range list.Contents {
		keys = append(keys, aws.ToString(o.Key))
		if strings.Contains(aws.ToString(o.Key), probeKey) {
			t.Errorf("probe object %s left behind", aws.ToString(o.Key))
		}
	}
	if len(keys) == 0 {
		t.Fatal("the export wrote nothing")
	}
}

// TestExit2ReadOnlyFolder: an export folder the process cannot write exits 2 before anything
// is touched.
func TestExit2ReadOnlyFolder(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		t.Skip("root writes to read-only folders")
	}
	fake, env := fakeEnv(t)
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.MkdirAll(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	env["REVLEDGER_EXPORT_URL"] = dir
	code, _, errOut := runCLI(t, env, "sync")
	if code != exitUsage || !strings.Contains(errOut, "is not usable") {
		t.Fatalf("exit %d; stderr %q", code, errOut)
	}
	if fake.Stats().Requests != 0 {
		t.Fatal("the fake API was called")
	}
	untouched(t, env["REVLEDGER_DATABASE_URL"])
}
