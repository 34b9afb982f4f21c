package revolut_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/extract/revolut/revoluttest"
)

// Example pulls a month of transactions from the fake API. Records that cannot be decoded
// arrive as *RecordError and the list goes on; any other error ends it.
func Example() {
	end := time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)
	fake, err := revoluttest.New(revoluttest.Options{Seed: 1, Transactions: 500, End: end, Clock: func() time.Time { return end }})
	if err != nil {
		log.Fatal(err)
	}
	baseURL, stop, err := fake.Start("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer stop()

	cr := fake.Credentials()
	key, err := revolut.ParsePrivateKey(cr.PrivateKeyPEM) // in production: revolut.LoadPrivateKey(path)
	if err != nil {
		log.Fatal(err)
	}
	client, err := revolut.NewClient(revolut.Config{
		BaseURL:      baseURL,
		ClientID:     cr.ClientID,
		Issuer:       cr.Issuer,
		PrivateKey:   key,
		RefreshToken: cr.RefreshToken,
	})
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	n := 0
	opts := revolut.TransactionListOptions{From: end.AddDate(0, -1, 0), To: end}
	for _, err := range client.Transactions(ctx, opts) {
		var bad *revolut.RecordError
		switch {
		case errors.As(err, &bad):
			continue // quarantine bad.Raw
		case err != nil:
			log.Fatal(err)
		}
		n++
	}
	want := 0
	for _, t := range fake.Truth().Transactions {
		if !t.CreatedAt.Before(opts.From) && t.CreatedAt.Before(opts.To) {
			want++
		}
	}
	fmt.Println(n == want, client.Stats().TokenRefreshes)
	// Output: true 1
}
