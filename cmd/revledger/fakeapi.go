package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/revledger/revledger/extract/rates/ratesfake"
	"github.com/revledger/revledger/extract/revolut/revoluttest"
)

const fakeAPIUsage = `
Usage: revledger fake-api [flags]

Serves the built-in fake of the Revolut Business API (the same paths, paging, auth, rate limit
and JSON shapes as the real one) with seeded, deterministic data, until interrupted. It prints
the URL and the test credentials to point revledger (or anything else) at it. Beside it, on a
port of its own, it serves exchange rates in HMRC's and the ECB's file formats (illustrative
figures, as the demo uses), for the config's fx.hmrc_url or fx.ecb_url where there is no network.
`

// fakeFlags are the dataset flags shared by fake-api and demo.
type fakeFlags struct {
	seed         int64
	transactions int
	rate         int
	quirks       bool
}

func addFakeFlags(fs *flag.FlagSet, defaultTransactions, defaultRate int) *fakeFlags {
	ff := &fakeFlags{}
	fs.Int64Var(&ff.seed, "seed", 1, "seed of the generated data: the same seed gives the same records")
	fs.IntVar(&ff.transactions, "transactions", defaultTransactions, "number of transactions in the year of generated history")
	fs.IntVar(&ff.rate, "rate-per-minute", defaultRate, "requests per minute the fake allows before answering 429 (0: unlimited)")
	fs.BoolVar(&ff.quirks, "quirks", false, "add the trap records of the API's own docs (odd dates, a bad id, an undecodable record, a \\u0000 escape)")
	return ff
}

// newFake generates the fake's data; its history ends at the start of today (UTC) so that
// runs on the same day see the same records.
func (ff *fakeFlags) newFake() (*revoluttest.Server, error) {
	return revoluttest.New(revoluttest.Options{
		Seed:          ff.seed,
		Transactions:  ff.transactions,
		End:           time.Now().UTC().Truncate(24 * time.Hour),
		RatePerMinute: ff.rate,
		Quirks:        ff.quirks,
	})
}

// writeKey writes the fake's private key where revledger can read it (mode 0600).
func writeKey(dir string, pem []byte) (string, error) {
	path := filepath.Join(dir, "fake-revolut-private.pem")
	if err := os.WriteFile(path, pem, 0o600); err != nil {
		return "", fmt.Errorf("write the fake's private key: %w", err)
	}
	return path, os.Chmod(path, 0o600)
}

func runFakeAPI(ctx context.Context, env *environment, args []string) error {
	fs := flag.NewFlagSet("fake-api", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	addr := fs.String("address", "127.0.0.1:8088", "listen address")
	keyDir := fs.String("key-dir", os.TempDir(), "folder to write the fake's private key to")
	ff := addFakeFlags(fs, 2000, 60)
	fs.Usage = func() { fmt.Fprintf(fs.Output(), "%s\nFlags:\n", fakeAPIUsage); fs.PrintDefaults() }
	if err := parse(fs, args); err != nil {
		return err
	}
	fake, err := ff.newFake()
	if err != nil {
		return usageError{err}
	}
	url, stop, err := fake.Start(*addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	defer stop()
	ratesURL, stopRates, err := ratesfake.New(ratesfake.Options{}).Start(besideAddr(*addr))
	if err != nil {
		return fmt.Errorf("start the fake exchange-rate publisher: %w", err)
	}
	defer stopRates()
	creds := fake.Credentials()
	keyFile, err := writeKey(*keyDir, creds.PrivateKeyPEM)
	if err != nil {
		return err
	}
	truth := fake.Truth()
	fmt.Fprintf(env.stdout, `Fake Revolut Business API listening on %s
  %d accounts, %d transactions, %d expenses (seed %d), %d requests/minute allowed

These credentials belong to the fake only. To point revledger at it:
  export REVOLUT_API_URL=%s
  export REVOLUT_CLIENT_ID=%s
  export REVOLUT_ISSUER=%s
  export REVOLUT_PRIVATE_KEY_FILE=%s
  export REVOLUT_REFRESH_TOKEN=%s
Or exchange this one-time consent code with 'revledger auth exchange --code %s'.

Exchange rates (illustrative, in the publishers' formats), for the config's fx section:
  hmrc_url: %s/hmrc/
  ecb_url: %s/ecb/
Stop with Ctrl-C.
`, url, len(truth.Accounts), len(truth.Transactions), len(truth.Expenses), ff.seed, ff.rate,
		url, creds.ClientID, creds.Issuer, keyFile, creds.RefreshToken, creds.AuthCode, ratesURL, ratesURL)
	<-ctx.Done()
	return nil
}

// besideAddr is a listen address on the host of addr ("127.0.0.1:0" beside "127.0.0.1:8088")
// with a port the system picks, for a second listener beside the first.
func besideAddr(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = ""
	}
	return net.JoinHostPort(host, "0")
}
