package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/revledger/revledger/exporters"
	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/extract/revolut/revoluttest"
	"github.com/revledger/revledger/load"
	"github.com/revledger/revledger/pipeline"
)

// lastClosedPeriod is the newest closed period in the warehouse ("" if none).
func lastClosedPeriod(ctx context.Context, store *load.Store) (string, error) {
	list, err := store.Periods(ctx)
	if err != nil {
		return "", err
	}
	last := ""
	for _, p := range list {
		if p.Closed && p.Period > last {
			last = p.Period
		}
	}
	return last, nil
}

// mutateClosedMonth changes five records of month (YYYY-MM, in loc) in the fake, the ways an
// accountant's closed month changes after the fact: a completed card payment reverted by the
// merchant (Revolut reverts its expense too), two expenses recategorised by an approver, one
// rejected after approval, and a payment still pending completed now. The fake has no hook
// yet for an amount or a tax setting changing, so those two reasons are not shown. A month
// with no pending payment left gets a second recategorisation instead. It returns one line
// per change, for the demo's output.
func mutateClosedMonth(fake *revoluttest.Server, month string, loc *time.Location) ([]string, error) {
	truth := fake.Truth()
	in := func(t revolut.Time) bool { return !t.Time.IsZero() && t.Time.In(loc).Format("2006-01") == month }
	expOf := map[string]revolut.Expense{}
	for _, x := range truth.Expenses {
		expOf[x.TransactionID] = x
	}
	// Completed single-leg card payments of the month with one approved one-split expense,
	// oldest last as the API lists them; and a payment of the month still pending.
	var paid []revolut.Transaction
	var pending *revolut.Transaction
	for i, tx := range truth.Transactions {
		x, ok := expOf[tx.ID]
		switch {
		case tx.State == revolut.TransactionCompleted && tx.Type == revolut.TypeCardPayment && len(tx.Legs) == 1 &&
			in(tx.CreatedAt) && in(tx.CompletedAt) && ok && x.State == revolut.ExpenseApproved && len(x.Splits) == 1:
			paid = append(paid, tx)
		case pending == nil && tx.State == revolut.TransactionPending && in(tx.CreatedAt):
			pending = &truth.Transactions[i]
		}
	}
	if len(paid) < 5 {
		return nil, fmt.Errorf("demo: %s has %d approved card payments to change, want 5", month, len(paid))
	}
	otherCategory := func(x revolut.Expense) (revolut.AccountingCategory, error) {
		for _, c := range truth.Categories {
			if c.ID != x.Splits[0].Category.ID && c.Code != "" {
				return c, nil
			}
		}
		return revolut.AccountingCategory{}, errors.New("demo: the fake has a single accounting category")
	}
	desc := func(tx revolut.Transaction) string {
		l := tx.Legs[0]
		return fmt.Sprintf("%s %s %s %s", tx.CreatedAt.Time.In(loc).Format(time.DateOnly),
			merchant(tx), l.Amount.Neg().StringFixed(2), l.Currency)
	}
	var done []string
	recategorise := func(tx revolut.Transaction) error {
		x := expOf[tx.ID]
		c, err := otherCategory(x)
		if err != nil {
			return err
		}
		if err := fake.RecategoriseExpense(x.ID, c.ID); err != nil {
			return err
		}
		done = append(done, fmt.Sprintf("recategorised  %s: %s → %s", desc(tx), x.Splits[0].Category.Name, c.Name))
		return nil
	}

	if err := fake.RevertTransaction(paid[0].ID); err != nil {
		return nil, err
	}
	done = append(done, "reverted       "+desc(paid[0])+" (the merchant took it back; its expense is reverted too)")
	if err := recategorise(paid[1]); err != nil {
		return nil, err
	}
	if err := fake.RejectExpense(expOf[paid[2].ID].ID); err != nil {
		return nil, err
	}
	done = append(done, "rejected       "+desc(paid[2])+" (its expense, after approval)")
	if pending != nil {
		if err := fake.CompleteTransaction(pending.ID); err != nil {
			return nil, err
		}
		done = append(done, fmt.Sprintf("completed      %s %s payment pending since %s", pending.Type, pending.ID,
			pending.CreatedAt.Time.In(loc).Format(time.DateOnly)))
	} else if err := recategorise(paid[3]); err != nil {
		return nil, err
	}
	if err := recategorise(paid[4]); err != nil {
		return nil, err
	}
	return done, nil
}

// adjustmentsSummary counts the adjustment entries and lines per period they are booked in,
// with their reasons, from the ledger.
func adjustmentsSummary(ctx context.Context, store *load.Store) (map[string]*adjustmentCount, error) {
	out := map[string]*adjustmentCount{}
	for l, err := range store.LedgerLines(ctx, time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)) {
		if err != nil {
			return nil, fmt.Errorf("count adjustments: %w", err)
		}
		if l.AdjustsEntryID == "" {
			continue
		}
		c := out[l.Period]
		if c == nil {
			c = &adjustmentCount{entries: map[string]string{}, adjusts: map[string]bool{}}
			out[l.Period] = c
		}
		c.lines++
		c.entries[l.EntryID] = l.AdjustmentReason
		c.adjusts[l.AdjustsPeriod] = true
	}
	return out, nil
}

type adjustmentCount struct {
	lines   int
	entries map[string]string // adjustment entry → reason
	adjusts map[string]bool   // the closed periods adjusted
}

// runDemoAdjustments is `demo --adjustments` after the demo's run: it changes five records of
// the newest closed month in the fake, syncs, and says where the adjustments are.
func runDemoAdjustments(ctx context.Context, env *environment, fake *revoluttest.Server, cfg Config, log *slog.Logger, exportDir string) error {
	loc, err := cfg.location()
	if err != nil {
		return usageError{err}
	}
	store, err := connectStore(ctx, cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	month, err := lastClosedPeriod(ctx, store)
	store.Close()
	if err != nil {
		return err
	}
	if month == "" {
		return fmt.Errorf("demo --adjustments: the run closed no month (close.grace_days %d); close one with 'revledger close --period YYYY-MM'", cfg.Close.GraceDays)
	}
	changes, err := mutateClosedMonth(fake, month, loc)
	if err != nil {
		return fmt.Errorf("change %s in the fake: %w", month, err)
	}
	fmt.Fprintf(env.stdout, "\nrevledger demo: %s is closed. Changing five of its records in the fake Revolut API:\n", month)
	for _, c := range changes {
		fmt.Fprintf(env.stdout, "  %s\n", c)
	}

	// The nightly look-back (30 days) does not reach back to a closed month's payments; a
	// real reversal would be found by the daily sync within that window. Reach back to the
	// month's start so the demo's one sync sees them.
	p, _ := time.ParseInLocation("2006-01", month, loc)
	sync := cfg
	sync.Sync.TransactionsLookbackDays = int(time.Since(p)/(24*time.Hour)) + 2
	var adj map[string]*adjustmentCount
	err = runJob(ctx, env, sync, log, &runFlags{wait: true}, true, func(ctx context.Context, j *job) (*pipeline.Summary, error) {
		sum, err := j.pipe.Sync(ctx)
		if err != nil {
			return sum, err
		}
		adj, err = adjustmentsSummary(ctx, j.store)
		return sum, err
	})
	if err != nil {
		return err
	}
	if len(adj) == 0 {
		fmt.Fprintln(env.stdout, "\nNo adjustment entries were booked.")
		return nil
	}
	fmt.Fprintln(env.stdout, "\nAdjustments to closed periods:")
	for _, period := range slices.Sorted(maps.Keys(adj)) {
		c := adj[period]
		reasons := map[string]int{}
		for _, r := range c.entries {
			reasons[r]++
		}
		var parts []string
		for _, r := range slices.Sorted(maps.Keys(reasons)) {
			parts = append(parts, fmt.Sprintf("%s %d", r, reasons[r]))
		}
		noun := "entries"
		if len(c.entries) == 1 {
			noun = "entry"
		}
		fmt.Fprintf(env.stdout, "  %s: %d adjustment %s (%d lines) correcting %s: %s\n", period, len(c.entries), noun, c.lines,
			strings.Join(slices.Sorted(maps.Keys(c.adjusts)), ", "), strings.Join(parts, ", "))
		wb := filepath.Join(exportDir, period, exporters.WorkbookName(period))
		if rel, err := filepath.Rel(".", wb); err == nil {
			wb = rel
		}
		fmt.Fprintf(env.stdout, "  see the Adjustments sheet of %s\n", wb)
	}
	return nil
}

func merchant(tx revolut.Transaction) string {
	if tx.Merchant != nil && tx.Merchant.Name != "" {
		return tx.Merchant.Name
	}
	return tx.Type
}
