package tenancy

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/revledger/revledger/internal/testenv"
	"github.com/revledger/revledger/load"
)

var (
	keyOnce sync.Once
	keyPEM  []byte
)

// testKeyPEM is one RSA key for every test of the package (generating one takes a while).
func testKeyPEM(t testing.TB) []byte {
	t.Helper()
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	})
	return keyPEM
}

func randomKey(t testing.TB) []byte {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

// newRegistry returns a migrated registry on a fresh database, and its pool.
func newRegistry(t testing.TB) (*Registry, *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, testenv.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	keys, err := NewKeyring(randomKey(t))
	if err != nil {
		t.Fatal(err)
	}
	r := NewRegistry(pool, keys)
	if err := r.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return r, pool
}

func acme(slug string) Business {
	return Business{Slug: slug, Name: "Acme " + slug, ClientID: "client-" + slug, Issuer: "example.com", APIURL: "http://127.0.0.1:1/api/1.0"}
}

func TestAddGetListCredentials(t *testing.T) {
	t.Parallel()
	r, pool := newRegistry(t)
	ctx := context.Background()
	b, err := r.Add(ctx, acme("acme-ltd"), testKeyPEM(t))
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	if b.ID == 0 || b.State != StateActive || b.TimeZone != DefaultTimeZone || b.BaseCurrency != "GBP" ||
		b.Schedule != DefaultSchedule || b.ExportURL != "exports/acme-ltd" || b.CreatedAt.IsZero() {
		t.Fatalf("Add returned %+v, want defaults filled", b)
	}
	if b.Schema() != "biz_acme_ltd" {
		t.Fatalf("Schema() = %q", b.Schema())
	}
	// Add migrated the warehouse schema: its schema_migrations lists every migration.
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM biz_acme_ltd.schema_migrations").Scan(&n); err != nil || n < 11 {
		t.Fatalf("biz_acme_ltd.schema_migrations: %d rows, %v", n, err)
	}
	if _, err := r.Add(ctx, acme("acme-ltd"), testKeyPEM(t)); !errors.Is(err, ErrExists) {
		t.Fatalf("second Add: %v, want ErrExists", err)
	}
	got, err := r.Get(ctx, "acme-ltd")
	if err != nil || got.ID != b.ID || got.Name != "Acme acme-ltd" {
		t.Fatalf("Get: %+v, %v", got, err)
	}
	if _, err := r.Get(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(nope): %v", err)
	}
	if _, err := r.Add(ctx, acme("beta"), testKeyPEM(t)); err != nil {
		t.Fatal(err)
	}
	list, err := r.List(ctx)
	if err != nil || len(list) != 2 || list[0].Slug != "acme-ltd" || list[1].Slug != "beta" {
		t.Fatalf("List: %+v, %v", list, err)
	}

	creds, err := r.Credentials(ctx, "acme-ltd")
	if err != nil || !bytes.Equal(creds.PrivateKeyPEM, testKeyPEM(t)) || creds.RefreshToken != "" {
		t.Fatalf("Credentials: %v, %v", creds, err)
	}
	if err := r.SaveRefreshToken(ctx, "acme-ltd", "oa_prod_secret-refresh"); err != nil {
		t.Fatal(err)
	}
	creds, err = r.Credentials(ctx, "acme-ltd")
	if err != nil || creds.RefreshToken != "oa_prod_secret-refresh" {
		t.Fatalf("Credentials after SaveRefreshToken: %v", err)
	}
	// At rest the database holds no plaintext.
	var raw []byte
	if err := pool.QueryRow(ctx, "SELECT string_agg(ciphertext, '') FROM revledger.business_secrets").Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("oa_prod_secret-refresh")) || bytes.Contains(raw, []byte("PRIVATE KEY")) {
		t.Fatal("a secret is stored in plaintext")
	}
	for _, s := range []string{creds.String(), fmt.Sprintf("%v %+v %#v %s %q %x", creds, creds, creds, creds, creds, creds)} {
		if strings.Contains(s, "oa_prod") || strings.Contains(s, "PRIVATE") || strings.Contains(s, "2d2d2d") {
			t.Fatalf("Credentials printed a secret: %s", s)
		}
	}
	// A ciphertext copied in the database to another business, or to another field, does
	// not open: the additional data binds it to its row.
	if _, err := pool.Exec(ctx, `INSERT INTO revledger.business_secrets (business_id, field, key_id, ciphertext)
		SELECT b.id, s.field, s.key_id, s.ciphertext FROM revledger.business_secrets s, revledger.businesses b
		WHERE s.business_id = $1 AND s.field = 'refresh_token' AND b.slug = 'beta'`, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Credentials(ctx, "beta"); !errors.Is(err, errUndecryptable) || strings.Contains(err.Error(), "oa_prod") {
		t.Fatalf("beta with acme's refresh token ciphertext: %v", err)
	}
	if _, err := pool.Exec(ctx, `UPDATE revledger.business_secrets SET ciphertext = (SELECT ciphertext FROM revledger.business_secrets
		WHERE business_id = $1 AND field = 'refresh_token') WHERE business_id = $1 AND field = 'private_key'`, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Credentials(ctx, "acme-ltd"); !errors.Is(err, errUndecryptable) {
		t.Fatalf("acme's token ciphertext in the private key field: %v", err)
	}

	if err := r.SetState(ctx, "beta", StatePaused); err != nil {
		t.Fatal(err)
	}
	if b, _ := r.Get(ctx, "beta"); b.State != StatePaused {
		t.Fatalf("state %q after SetState paused", b.State)
	}
	if err := r.SetState(ctx, "beta", "gone"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("SetState(gone): %v", err)
	}
}

func TestOpenStoreUsesTheBusinessSchema(t *testing.T) {
	t.Parallel()
	r, _ := newRegistry(t)
	ctx := context.Background()
	b, err := r.Add(ctx, acme("gamma"), testKeyPEM(t))
	if err != nil {
		t.Fatal(err)
	}
	s, err := r.OpenStore(ctx, b, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Schema() != "biz_gamma" {
		t.Fatalf("store schema %q", s.Schema())
	}
}

func loadOptions() load.Options { return load.Options{MaxConns: 2} }

func itoa(n int64) string { return fmt.Sprint(n) }

func TestAddValidates(t *testing.T) {
	t.Parallel()
	r, pool := newRegistry(t)
	ctx := context.Background()
	bad := Business{Slug: "Acme_Ltd", TimeZone: "Mars/Olympus", BaseCurrency: "pounds", APIURL: "ftp://x", Issuer: "https://example.com/cb",
		Schedule: "every night", ExportURL: "file://relative/path", ChartOverrides: []byte(`{"bank_defualt": "1200"}`)}
	_, err := r.Add(ctx, bad, testKeyPEM(t))
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("Add: %v, want ErrInvalid", err)
	}
	for _, want := range []string{"slug", "name is required", "Mars/Olympus", "pounds", "ftp://x", "client ID", "bare host", "every night", "file URL", "bank_defualt"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
	if _, err := r.Add(ctx, acme("nokey"), []byte("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Add with a bad key: %v", err)
	}
	withChart := acme("charted")
	withChart.ChartOverrides = []byte(`{"bank_default": "1210", "names": {"1210": "Revolut"}}`)
	b, err := r.Add(ctx, withChart, testKeyPEM(t))
	if err != nil {
		t.Fatalf("Add with chart overrides: %v", err)
	}
	if c, err := b.Chart(); err != nil || c.BankDefault != "1210" || c.InputVAT == "" {
		t.Fatalf("Chart(): %+v, %v", c, err)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM revledger.businesses").Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d businesses stored, want only the valid one", n)
	}
}
