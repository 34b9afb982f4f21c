package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/revledger/revledger/extract/rates/ratesfake"
	"github.com/revledger/revledger/extract/revolut/revoluttest"
	"github.com/revledger/revledger/internal/testenv"
	"github.com/revledger/revledger/tenancy"
	"github.com/revledger/revledger/worker"
)

// fleet is a database with businesses registered against fake APIs served over HTTP in this
// process, and the revledger binary to start workers with. The multi-worker test and the
// multi-worker benchmark share it.
type fleet struct {
	tb     testing.TB
	dir    string
	bin    string
	dsn    string
	pool   *pgxpool.Pool
	secret []byte
	config string
	fakes  []*revoluttest.Server
	logs   []*requestLog
	slugs  []string
	procs  []*proc
}

// proc is one `revledger worker` process.
type proc struct {
	id     string
	cmd    *exec.Cmd
	done   chan error
	stderr string
}

// requestLog wraps a fake API and records when each request (token calls included: the
// shared limiter gates those too) reached it.
type requestLog struct {
	mu sync.Mutex
	at []time.Time
	h  http.Handler
}

func (l *requestLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	l.at = append(l.at, time.Now())
	l.mu.Unlock()
	l.h.ServeHTTP(w, r)
}

func (l *requestLog) times() []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.at)
}

// newFleet builds the binary, creates a database and registers n businesses, business i
// served by a fake made with fakeOptions(i). configYAML is the workers' config file.
func newFleet(tb testing.TB, n int, fakeOptions func(i int) revoluttest.Options, configYAML string) *fleet {
	tb.Helper()
	f := &fleet{tb: tb, dir: tb.TempDir()}
	f.bin = filepath.Join(f.dir, "revledger")
	if out, err := exec.Command("go", "build", "-o", f.bin, ".").CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	f.dsn = testenv.Database(tb)
	ctx := context.Background()
	var err error
	if f.pool, err = pgxpool.New(ctx, f.dsn); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(f.pool.Close)
	f.secret = make([]byte, 32)
	if _, err := rand.Read(f.secret); err != nil {
		tb.Fatal(err)
	}
	keys, err := tenancy.NewKeyring(f.secret)
	if err != nil {
		tb.Fatal(err)
	}
	reg := tenancy.NewRegistry(f.pool, keys)
	if err := reg.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		fake, err := revoluttest.New(fakeOptions(i))
		if err != nil {
			tb.Fatal(err)
		}
		log := &requestLog{h: fake.Handler()}
		srv := httptest.NewServer(log)
		tb.Cleanup(srv.Close)
		cr := fake.Credentials()
		slug := fmt.Sprintf("biz-%02d", i)
		if _, err := reg.Add(ctx, tenancy.Business{
			Slug: slug, Name: fmt.Sprintf("Business %d Ltd", i), TimeZone: "Europe/London", BaseCurrency: "GBP",
			ExportURL: "file://" + filepath.Join(f.dir, "exports", slug), APIURL: srv.URL + "/api/1.0",
			ClientID: cr.ClientID, Issuer: cr.Issuer, Schedule: "0 2 1 1 *", // not during a test
		}, cr.PrivateKeyPEM); err != nil {
			tb.Fatal(err)
		}
		if err := reg.SaveRefreshToken(ctx, slug, cr.RefreshToken); err != nil {
			tb.Fatal(err)
		}
		f.fakes, f.logs, f.slugs = append(f.fakes, fake), append(f.logs, log), append(f.slugs, slug)
	}
	// The workers value foreign-currency lines at HMRC rates from a local publisher (the
	// default fx source for GBP books would be HMRC's real site).
	rateSrv := httptest.NewServer(ratesfake.New(ratesfake.Options{}).Handler())
	tb.Cleanup(rateSrv.Close)
	configYAML += "fx:\n  source: hmrc\n  hmrc_url: " + rateSrv.URL + "/hmrc/\n"
	f.config = filepath.Join(f.dir, "config.yaml")
	if err := os.WriteFile(f.config, []byte(configYAML), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := worker.Migrate(ctx, f.pool, ""); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		for _, p := range f.procs {
			_ = p.cmd.Process.Kill()
		}
	})
	return f
}

// start starts `revledger worker --id id` with the fleet's database, config and key, and
// args.
func (f *fleet) start(id string, args ...string) *proc {
	f.tb.Helper()
	p := &proc{id: id, done: make(chan error, 1), stderr: filepath.Join(f.dir, id+".log")}
	logFile, err := os.Create(p.stderr)
	if err != nil {
		f.tb.Fatal(err)
	}
	p.cmd = exec.Command(f.bin, append([]string{"worker", "--id", id, "--config", f.config, "--database-url", f.dsn,
		"--metrics-addr", "127.0.0.1:0", "--log-format", "json"}, args...)...)
	p.cmd.Env = append(os.Environ(), tenancy.EnvSecretKey+"="+base64.StdEncoding.EncodeToString(f.secret))
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		f.tb.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait(); logFile.Close() }()
	f.procs = append(f.procs, p)
	return p
}

// enqueueSyncs queues one sync per business.
func (f *fleet) enqueueSyncs(ctx context.Context) {
	f.tb.Helper()
	enq, err := worker.NewEnqueuer(f.pool, "")
	if err != nil {
		f.tb.Fatal(err)
	}
	for _, s := range f.slugs {
		if _, err := enq.Enqueue(ctx, worker.SyncArgs{Business: s}); err != nil {
			f.tb.Fatal(err)
		}
	}
}

// openSyncs counts the sync jobs not completed.
func (f *fleet) openSyncs(ctx context.Context) int {
	f.tb.Helper()
	var open int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM revledger.river_job WHERE kind = 'sync' AND state <> 'completed'`).Scan(&open); err != nil {
		f.tb.Fatal(err)
	}
	return open
}
