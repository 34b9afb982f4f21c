package extract

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/revledger/revledger/extract/revolut"
)

// TransactionGetter is the part of the client RecheckTransactions reads with.
type TransactionGetter interface {
	Transaction(ctx context.Context, id string) (revolut.Transaction, error)
}

// Rechecked is one flush of RecheckTransactions: the transactions re-read, and those that did not decode.
type Rechecked struct {
	Transactions []revolut.Transaction
	Bad          []*revolut.RecordError
}

// RecheckResult is what RecheckTransactions read.
type RecheckResult struct {
	Read int64 // transactions re-read and decoded
	// Gone lists the ids Revolut no longer knows (404): left as last seen.
	Gone []string
}

// RecheckTransactions re-reads the transactions ids by id (LateChanges.Recheck says which) and hands
// them to store in flushes of up to size decoded transactions, the last flush with whatever
// is left (an empty flush is not handed over). One that Revolut no longer knows (404) is
// reported in Gone; one that does not decode travels in Bad, to be quarantined. Any other
// error stops it.
func RecheckTransactions(ctx context.Context, api TransactionGetter, ids []string, size int, store func(ctx context.Context, r Rechecked) error) (RecheckResult, error) {
	var res RecheckResult
	var b Rechecked
	for i, id := range ids {
		t, err := api.Transaction(ctx, id)
		var rec *revolut.RecordError
		var apiErr *revolut.APIError
		switch {
		case errors.As(err, &rec):
			b.Bad = append(b.Bad, rec)
		case errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound:
			res.Gone = append(res.Gone, id)
		case err != nil:
			return res, fmt.Errorf("re-read transaction %s: %w", id, err)
		default:
			b.Transactions = append(b.Transactions, t)
			res.Read++
		}
		if len(b.Transactions) >= size || i == len(ids)-1 {
			if len(b.Transactions) == 0 && len(b.Bad) == 0 {
				continue
			}
			if err := store(ctx, b); err != nil {
				return res, err
			}
			b = Rechecked{}
		}
	}
	return res, nil
}
