package pgserver_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/revledger/revledger/internal/pgserver"
)

// TestPrivateCluster starts a private cluster when nothing answers on the local address, as a
// fresh machine without a PostgreSQL service would, and checks that a second Find reuses it.
func TestPrivateCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	opts := pgserver.Options{LocalAddr: "127.0.0.1:1", PrivateDir: dir}

	srv, err := pgserver.Find(ctx, opts)
	if errors.Is(err, pgserver.ErrUnavailable) && os.Getenv("CI") == "" {
		t.Skipf("no initdb here: %v", err)
	}
	if err != nil {
		t.Fatalf("find: %v", err)
	}
	t.Cleanup(func() {
		if err := pgserver.Stop(context.Background(), dir); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	if srv.Source != "private" {
		t.Fatalf("source = %q, want private", srv.Source)
	}
	conn, err := pgx.Connect(ctx, srv.URL)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	var two int
	if err := conn.QueryRow(ctx, "SELECT 1 + 1").Scan(&two); err != nil || two != 2 {
		t.Fatalf("SELECT 1 + 1 = %d, %v", two, err)
	}
	conn.Close(ctx)

	again, err := pgserver.Find(ctx, opts)
	if err != nil {
		t.Fatalf("second find: %v", err)
	}
	if again.URL != srv.URL {
		t.Fatalf("second find started another cluster: %q vs %q", again.URL, srv.URL)
	}
}

// TestUnavailableSaysWhatToDo checks the message a user sees when no server can be had.
func TestUnavailableSaysWhatToDo(t *testing.T) {
	t.Parallel()
	_, err := pgserver.Find(context.Background(), pgserver.Options{LocalAddr: "127.0.0.1:1"})
	if !errors.Is(err, pgserver.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	for _, want := range []string{"TEST_DATABASE_URL", "127.0.0.1:5432", "initdb"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not mention %q", err, want)
		}
	}
}
