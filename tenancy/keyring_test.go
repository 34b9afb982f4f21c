package tenancy

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealedSecretIsBoundToBusinessAndField(t *testing.T) {
	t.Parallel()
	k, err := NewKeyring(randomKey(t))
	if err != nil {
		t.Fatal(err)
	}
	id, sealed, err := k.seal(1, fieldRefreshToken, []byte("token-1"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k.open(1, fieldRefreshToken, id, sealed); err != nil || string(got) != "token-1" {
		t.Fatalf("open: %q, %v", got, err)
	}
	// Sealing twice gives two ciphertexts (random nonce).
	_, again, _ := k.seal(1, fieldRefreshToken, []byte("token-1"))
	if bytes.Equal(sealed, again) {
		t.Fatal("two seals of one secret are equal: the nonce is not random")
	}
	for _, c := range []struct {
		name  string
		id    int64
		field string
	}{{"another business", 2, fieldRefreshToken}, {"another field", 1, fieldPrivateKey}} {
		if _, err := k.open(c.id, c.field, id, sealed); !errors.Is(err, errUndecryptable) {
			t.Errorf("%s: open = %v, want errUndecryptable", c.name, err)
		}
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	if _, err := k.open(1, fieldRefreshToken, id, tampered); !errors.Is(err, errUndecryptable) {
		t.Errorf("tampered: %v", err)
	}
	other, _ := NewKeyring(randomKey(t))
	if _, err := other.open(1, fieldRefreshToken, id, sealed); !errors.Is(err, errUndecryptable) || !strings.Contains(err.Error(), EnvOldSecretKeys) {
		t.Errorf("another keyring: %v", err)
	}
}

func TestLoadKeyring(t *testing.T) {
	t.Parallel()
	cur, old := randomKey(t), randomKey(t)
	b64 := base64.StdEncoding.EncodeToString
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	k, err := LoadKeyring(env(map[string]string{EnvSecretKey: b64(cur), EnvOldSecretKeys: " " + b64(old) + " ,"}), "")
	if err != nil {
		t.Fatal(err)
	}
	if k.CurrentID() != keyID(cur) || len(k.order) != 2 {
		t.Fatalf("keyring %s", k)
	}

	_, err = LoadKeyring(env(nil), "")
	if err == nil || !strings.Contains(err.Error(), "openssl rand -base64 32") || !strings.Contains(err.Error(), "--secret-key-file") {
		t.Fatalf("no key: %v", err)
	}
	short := b64([]byte("sixteen-byte-key"))
	_, err = LoadKeyring(env(map[string]string{EnvSecretKey: short}), "")
	if err == nil || strings.Contains(err.Error(), short) || !strings.Contains(err.Error(), "32 bytes") {
		t.Fatalf("short key: %v", err)
	}

	dir := t.TempDir()
	file := filepath.Join(dir, "key")
	if err := os.WriteFile(file, []byte("# revledger\n"+b64(cur)+"\n\n"+b64(old)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err = LoadKeyring(env(nil), file)
	if err != nil || k.CurrentID() != keyID(cur) || len(k.order) != 2 {
		t.Fatalf("key file: %v, %v", k, err)
	}
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyring(env(nil), file); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("readable key file: %v", err)
	}
}

func TestRotateKey(t *testing.T) {
	t.Parallel()
	r, pool := newRegistry(t)
	ctx := context.Background()
	for _, slug := range []string{"one", "two"} {
		if _, err := r.Add(ctx, acme(slug), testKeyPEM(t)); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.SaveRefreshToken(ctx, "two", "refresh-two"); err != nil {
		t.Fatal(err)
	}
	oldKeys, _ := r.keyring()
	next, _ := NewKeyring(randomKey(t))
	n, err := r.RotateKey(ctx, next)
	if err != nil || n != 3 { // one: key; two: key + token
		t.Fatalf("RotateKey = %d, %v; want 3 secrets", n, err)
	}
	var stale int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM revledger.business_secrets WHERE key_id <> $1", next.CurrentID()).Scan(&stale); err != nil || stale != 0 {
		t.Fatalf("%d secrets still under another key (%v)", stale, err)
	}
	// A process started with only the new key reads everything; one with only the old key
	// reads nothing.
	fresh := NewRegistry(pool, next)
	if c, err := fresh.Credentials(ctx, "two"); err != nil || c.RefreshToken != "refresh-two" || !bytes.Equal(c.PrivateKeyPEM, testKeyPEM(t)) {
		t.Fatalf("new key: %v", err)
	}
	if _, err := NewRegistry(pool, oldKeys).Credentials(ctx, "one"); !errors.Is(err, errUndecryptable) {
		t.Fatalf("old key after rotation: %v", err)
	}
	// A registry with the wrong keys cannot rotate, and changes nothing.
	wrong, _ := NewKeyring(randomKey(t))
	if _, err := NewRegistry(pool, wrong).RotateKey(ctx, oldKeys); !errors.Is(err, errUndecryptable) {
		t.Fatalf("rotate with wrong keys: %v", err)
	}
	if _, err := fresh.Credentials(ctx, "one"); err != nil {
		t.Fatalf("after a failed rotation: %v", err)
	}
}

func TestDeleteDropsOnlyThatBusiness(t *testing.T) {
	t.Parallel()
	r, pool := newRegistry(t)
	ctx := context.Background()
	keep, err := r.Add(ctx, acme("keep"), testKeyPEM(t))
	if err != nil {
		t.Fatal(err)
	}
	gone, err := r.Add(ctx, acme("gone"), testKeyPEM(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SaveRefreshToken(ctx, "gone", "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "INSERT INTO revledger.rate_limit_grants (business_id, grants) VALUES ($1, ARRAY[now()]), ($2, ARRAY[now()])", keep.ID, gone.ID); err != nil {
		t.Fatal(err)
	}

	// Not while a run of it holds its run lock.
	store, err := r.OpenStore(ctx, gone, loadOptions())
	if err != nil {
		t.Fatal(err)
	}
	w, err := store.AcquireRunLock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Delete(ctx, "gone"); !errors.Is(err, ErrBusy) {
		t.Fatalf("Delete during a run: %v, want ErrBusy", err)
	}
	_ = w.Release(ctx)
	store.Close()

	if err := r.Delete(ctx, "gone"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := r.Delete(ctx, "gone"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: %v", err)
	}
	counts := map[string]string{
		"schema biz_gone":  "SELECT count(*) FROM pg_namespace WHERE nspname = 'biz_gone'",
		"schema biz_keep":  "SELECT count(*) FROM pg_namespace WHERE nspname = 'biz_keep'",
		"secrets of gone":  "SELECT count(*) FROM revledger.business_secrets WHERE business_id = " + itoa(gone.ID),
		"secrets of keep":  "SELECT count(*) FROM revledger.business_secrets WHERE business_id = " + itoa(keep.ID),
		"limiter of gone":  "SELECT count(*) FROM revledger.rate_limit_grants WHERE business_id = " + itoa(gone.ID),
		"limiter of keep":  "SELECT count(*) FROM revledger.rate_limit_grants WHERE business_id = " + itoa(keep.ID),
		"businesses":       "SELECT count(*) FROM revledger.businesses",
		"keep's warehouse": "SELECT count(*) FROM biz_keep.schema_migrations WHERE version = 1",
	}
	want := map[string]int{"schema biz_gone": 0, "schema biz_keep": 1, "secrets of gone": 0, "secrets of keep": 1,
		"limiter of gone": 0, "limiter of keep": 1, "businesses": 1, "keep's warehouse": 1}
	for name, q := range counts {
		var n int
		if err := pool.QueryRow(ctx, q).Scan(&n); err != nil || n != want[name] {
			t.Errorf("%s: %d (%v), want %d", name, n, err, want[name])
		}
	}
}
