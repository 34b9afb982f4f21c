// Package ledgertest provides in-memory ledgers for the exporters' tests and benchmarks: a
// small hand-made period whose figures the tests compute by hand, and a generator of any
// number of balanced lines. It is a test data source, not a stand-in for PostgreSQL: the
// warehouse's own tests cover the real Ledger.
package ledgertest

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/revledger/revledger/transform"
	"github.com/shopspring/decimal"
)

// Ledger serves fixed lines and exceptions, filtered by booking date like the warehouse.
type Ledger struct {
	Rows   []transform.Line
	Issues []transform.Exception
}

// Rate sources of the fixtures' lines (what the booker records in Line.RateSource).
const (
	RateSourceBase = "base" // a base-currency line: rate 1
	RateSourceECB  = "ecb"  // a reference rate
)

// OpeningBalances sums the lines booked before before as the warehouse does
// (load.Store.OpeningBalances): transform.Roll, which load's tests hold to the warehouse's
// figures, carried from nothing through every earlier line.
func (l *Ledger) OpeningBalances(_ context.Context, before time.Time) (transform.OpeningBalances, error) {
	roll := transform.NewRoll(transform.OpeningBalances{})
	for i := range l.Rows {
		if l.Rows[i].BookingDate.Before(before) {
			roll.Add(&l.Rows[i])
		}
	}
	return roll.Balances(), nil
}

// LedgerLines yields the lines with BookingDate in [from, to), in slice order.
func (l *Ledger) LedgerLines(ctx context.Context, from, to time.Time) iter.Seq2[transform.Line, error] {
	return func(yield func(transform.Line, error) bool) {
		for _, x := range l.Rows {
			if err := ctx.Err(); err != nil {
				yield(transform.Line{}, err)
				return
			}
			if x.BookingDate.Before(from) || !x.BookingDate.Before(to) {
				continue
			}
			if !yield(x, nil) {
				return
			}
		}
	}
}

// Exceptions yields the exceptions with OccurredAt in [from, to).
func (l *Ledger) Exceptions(_ context.Context, from, to time.Time) iter.Seq2[transform.Exception, error] {
	return func(yield func(transform.Exception, error) bool) {
		for _, x := range l.Issues {
			if x.OccurredAt.Before(from) || !x.OccurredAt.Before(to) {
				continue
			}
			if !yield(x, nil) {
				return
			}
		}
	}
}

// D parses a decimal literal; it panics on a typo, which only a test can contain.
func D(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// ND is D as a valid NullDecimal.
func ND(s string) decimal.NullDecimal { return decimal.NewNullDecimal(D(s)) }

func day(d int, hh, mm int) (time.Time, time.Time) {
	return time.Date(2024, 3, d, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, d, hh, mm, 0, 0, time.UTC)
}

// Sample returns the hand-made ledger of March 2024. Its figures, by hand:
//
//	GBP: debits 10.00+2.00+0.50+15.00+3.00+12.00 = 42.50, credits 12.00+30.00+0.50 = 42.50
//	EUR: debits 500.00, credits 500.00;  JPY: debits 1364+136 = 1500, credits 1500
//	splits: e-1 (12.00 at 20%: tax 2.00), e-2/0 (18.00 at 20%: tax 3.00), e-2/1 (12.00 at 0%),
//	        e-4 (¥1500 at 10%: tax round(1500×10/110) = 136)
//	GBP account: opening 1000.00, −12.00 → 988.00, −30.00 −0.50 → 957.50 (Revolut agrees)
//	base amounts (GBP): GBP lines at rate 1; EUR at 0.855: ±500.00 → ±427.50; JPY at
//	0.0052: −1500 → −7.80, 1364 → 7.0928 → 7.09, 136 → 0.7072 → 0.71 (−7.80 + 7.09 + 0.71 = 0)
//
// It holds the hostile texts the exports must neutralise: a merchant that is a HYPERLINK
// formula, a description "+1-555 call", a merchant "-Tokyo Cafe", and an account code with a
// leading zero.
func Sample() *Ledger {
	d4, t4a := day(4, 9, 15)
	_, t4b := day(4, 13, 40)
	d5, t5 := day(5, 10, 0)
	d6, t6 := day(6, 8, 5)
	gbp := func(l transform.Line) transform.Line {
		l.Currency, l.Period = "GBP", "2024-03"
		l.BaseAmount, l.BaseRate, l.RateSource = decimal.NewNullDecimal(l.Amount), ND("1"), RateSourceBase
		return l
	}
	var lines []transform.Line
	// Entry 1: card payment with one split at 20%.
	e1 := transform.Line{
		EntryID: "tx-1", BookingDate: d4, OccurredAt: t4a, Version: 1,
		Merchant: "Pret A Manger", Description: "Lunch with client", Reference: "",
		TransactionID: "tx-1", TransactionType: "card_payment", TransactionState: "completed",
		ExpenseID: "e-1", ExpenseState: "completed", ReceiptIDs: []string{"r-1"},
		CardLastDigits: "4242", CardHolder: "Ada Lovelace",
		Labels: map[string]string{"Department": "Sales", "Project": "Apollo"},
	}
	lines = append(lines,
		gbp(with(e1, func(l *transform.Line) {
			l.Key = transform.LineKey{SourceType: "transaction", SourceID: "tx-1", Index: 0, Role: "bank"}
			l.AccountCode, l.AccountName, l.Amount = "1200", "Revolut GBP", D("-12.00")
			l.RevolutAccountID, l.BankBalance = "acc-gbp-0001", ND("988.00")
			l.Labels = nil
		})),
		gbp(with(e1, func(l *transform.Line) {
			l.Key = transform.LineKey{SourceType: "expense", SourceID: "e-1", Index: 0, Role: "net"}
			l.AccountCode, l.AccountName, l.Amount = "0410", "Meals", D("10.00")
			l.Net, l.Tax, l.Gross = ND("10.00"), ND("2.00"), ND("12.00")
			l.TaxRateID, l.TaxRateName, l.TaxRatePercent = "tr-20", "20% (VAT on Expenses)", ND("20")
			l.CategoryID, l.CategoryCode, l.CategoryName = "cat-meals", "0410", "Meals"
		})),
		gbp(with(e1, func(l *transform.Line) {
			l.Key = transform.LineKey{SourceType: "expense", SourceID: "e-1", Index: 0, Role: "vat"}
			l.AccountCode, l.AccountName, l.Amount = "2201", "VAT input", D("2.00")
			l.Net, l.Tax, l.Gross = ND("10.00"), ND("2.00"), ND("12.00")
			l.TaxRateID, l.TaxRateName, l.TaxRatePercent = "tr-20", "20% (VAT on Expenses)", ND("20")
			l.CategoryID, l.CategoryCode, l.CategoryName = "cat-meals", "0410", "Meals"
		})),
	)
	// Entry 2: hostile merchant, two splits (20% and 0%), and a fee on the same leg.
	e2 := transform.Line{
		EntryID: "tx-2", BookingDate: d4, OccurredAt: t4b, Version: 1,
		Merchant: `=HYPERLINK("http://x","y")`, Description: "+1-555 call",
		TransactionID: "tx-2", TransactionType: "card_payment", TransactionState: "completed",
		ExpenseID: "e-2", ExpenseState: "approved", ReceiptIDs: []string{"r-2", "r-3"},
		CardLastDigits: "4242", CardHolder: "Ada Lovelace",
		Labels: map[string]string{"Department": "Ops"},
	}
	lines = append(lines,
		gbp(with(e2, func(l *transform.Line) {
			l.Key = transform.LineKey{SourceType: "transaction", SourceID: "tx-2", Index: 0, Role: "bank"}
			l.AccountCode, l.AccountName, l.Amount = "1200", "Revolut GBP", D("-30.00")
			l.RevolutAccountID, l.BankBalance = "acc-gbp-0001", ND("957.50")
			l.Labels = nil
		})),
		gbp(with(e2, func(l *transform.Line) {
			l.Key = transform.LineKey{SourceType: "transaction", SourceID: "tx-2", Index: 0, Role: "fee"}
			l.AccountCode, l.AccountName, l.Amount = "7900", "Bank fees", D("0.50")
			l.Labels = nil
		})),
		gbp(with(e2, func(l *transform.Line) {
			l.Key = transform.LineKey{SourceType: "transaction", SourceID: "tx-2", Index: 0, Role: "fee_bank"}
			l.AccountCode, l.AccountName, l.Amount = "1200", "Revolut GBP", D("-0.50")
			l.RevolutAccountID, l.BankBalance = "acc-gbp-0001", ND("957.50")
			l.Labels = nil
		})),
		gbp(with(e2, func(l *transform.Line) {
			l.Key = transform.LineKey{SourceType: "expense", SourceID: "e-2", Index: 0, Role: "net"}
			l.AccountCode, l.AccountName, l.Amount = "6000", "Travel", D("15.00")
			l.Net, l.Tax, l.Gross = ND("15.00"), ND("3.00"), ND("18.00")
			l.TaxRateID, l.TaxRateName, l.TaxRatePercent = "tr-20", "20% (VAT on Expenses)", ND("20")
			l.CategoryID, l.CategoryCode, l.CategoryName = "cat-travel", "6000", "Travel"
		})),
		gbp(with(e2, func(l *transform.Line) {
			l.Key = transform.LineKey{SourceType: "expense", SourceID: "e-2", Index: 0, Role: "vat"}
			l.AccountCode, l.AccountName, l.Amount = "2201", "VAT input", D("3.00")
			l.Net, l.Tax, l.Gross = ND("15.00"), ND("3.00"), ND("18.00")
			l.TaxRateID, l.TaxRateName, l.TaxRatePercent = "tr-20", "20% (VAT on Expenses)", ND("20")
			l.CategoryID, l.CategoryCode, l.CategoryName = "cat-travel", "6000", "Travel"
		})),
		gbp(with(e2, func(l *transform.Line) {
			l.Key = transform.LineKey{SourceType: "expense", SourceID: "e-2", Index: 1, Role: "net"}
			l.AccountCode, l.AccountName, l.Amount = "6100", "Books", D("12.00")
			l.Net, l.Tax, l.Gross = ND("12.00"), ND("0.00"), ND("12.00")
			l.TaxRateID, l.TaxRateName, l.TaxRatePercent = "tr-0", "Zero rated", ND("0")
			l.CategoryID, l.CategoryCode, l.CategoryName = "cat-books", "6100", "Books"
			l.Labels = map[string]string{"Department": "Ops", "Project": "Zephyr"}
		})),
	)
	// Entry 3: EUR top-up without an expense, balanced on a default account.
	e3 := transform.Line{
		EntryID: "tx-3", BookingDate: d5, OccurredAt: t5, Version: 1, Period: "2024-03",
		Currency: "EUR", Counterparty: "ACME GmbH", Description: "Invoice 2024-001", Reference: "INV-001",
		TransactionID: "tx-3", TransactionType: "topup", TransactionState: "completed",
	}
	lines = append(lines,
		with(e3, func(l *transform.Line) {
			l.Key = transform.LineKey{SourceType: "transaction", SourceID: "tx-3", Index: 0, Role: "bank"}
			l.AccountCode, l.AccountName, l.Amount = "1201", "Revolut EUR", D("500.00")
			l.RevolutAccountID, l.BankBalance = "acc-eur-0002", ND("1500.00")
			l.BaseAmount, l.BaseRate, l.RateSource = ND("427.50"), ND("0.855"), RateSourceECB
		}),
		with(e3, func(l *transform.Line) {
			l.Key = transform.LineKey{SourceType: "transaction", SourceID: "tx-3", Index: 0, Role: "balancing"}
			l.AccountCode, l.AccountName, l.Amount = "2100", "Customer receipts", D("-500.00")
			l.BaseAmount, l.BaseRate, l.RateSource = ND("-427.50"), ND("0.855"), RateSourceECB
		}),
	)
	// Entry 4: JPY card payment at 10%: tax round(1500×10/110) = round(136.36) = 136.
	e4 := transform.Line{
		EntryID: "tx-4", BookingDate: d6, OccurredAt: t6, Version: 1, Period: "2024-03",
		Currency: "JPY", Merchant: "-Tokyo Cafe", Description: "Coffee",
		TransactionID: "tx-4", TransactionType: "card_payment", TransactionState: "completed",
		ExpenseID: "e-4", ExpenseState: "completed",
		CardLastDigits: "0007", CardHolder: "Grace Hopper",
		OriginalAmount: ND("1500"), OriginalCurrency: "JPY",
	}
	lines = append(lines,
		with(e4, func(l *transform.Line) {
			l.Key = transform.LineKey{SourceType: "transaction", SourceID: "tx-4", Index: 0, Role: "bank"}
			l.AccountCode, l.AccountName, l.Amount = "1202", "Revolut JPY", D("-1500")
			l.RevolutAccountID, l.BankBalance = "acc-jpy-0003", ND("8500")
			l.BaseAmount, l.BaseRate, l.RateSource = ND("-7.80"), ND("0.0052"), RateSourceECB
		}),
		with(e4, func(l *transform.Line) {
			l.Key = transform.LineKey{SourceType: "expense", SourceID: "e-4", Index: 0, Role: "net"}
			l.AccountCode, l.AccountName, l.Amount = "6200", "Subsistence", D("1364")
			l.BaseAmount, l.BaseRate, l.RateSource = ND("7.09"), ND("0.0052"), RateSourceECB
			l.Net, l.Tax, l.Gross = ND("1364"), ND("136"), ND("1500")
			l.TaxRateID, l.TaxRateName, l.TaxRatePercent = "tr-10", "10% (JP)", ND("10")
			l.CategoryID, l.CategoryCode, l.CategoryName = "cat-subs", "6200", "Subsistence"
		}),
		with(e4, func(l *transform.Line) {
			l.Key = transform.LineKey{SourceType: "expense", SourceID: "e-4", Index: 0, Role: "vat"}
			l.AccountCode, l.AccountName, l.Amount = "2201", "VAT input", D("136")
			l.BaseAmount, l.BaseRate, l.RateSource = ND("0.71"), ND("0.0052"), RateSourceECB
			l.Net, l.Tax, l.Gross = ND("1364"), ND("136"), ND("1500")
			l.TaxRateID, l.TaxRateName, l.TaxRatePercent = "tr-10", "10% (JP)", ND("10")
			l.CategoryID, l.CategoryCode, l.CategoryName = "cat-subs", "6200", "Subsistence"
		}),
	)
	return &Ledger{
		Rows: lines,
		Issues: []transform.Exception{
			{SourceType: "transaction", SourceID: "tx-3", EntryID: "tx-3", Period: "2024-03", OccurredAt: t5,
				Kind: transform.KindDefaultAccount, Reason: "No expense: balanced on the top-up default account 2100."},
			{SourceType: "transaction", SourceID: "tx-5", Period: "2024-03", OccurredAt: t6.Add(time.Hour),
				Kind: transform.KindNotBookedPending, Reason: "@pending card payment: booked once it completes."},
		},
	}
}

func with(base transform.Line, f func(*transform.Line)) transform.Line {
	l := base
	f(&l)
	return l
}

// Generated returns n ledger lines of March 2024 in the warehouse's order: entries of three
// lines (bank −gross, net, VAT at 20%) spread over the month, on two GBP accounts, with
// labels, receipts and a running Revolut balance that ties. n is rounded down to a multiple
// of three.
func Generated(n int) *Ledger {
	var lines []transform.Line
	for l := range (&Generator{N: n}).lines() {
		lines = append(lines, l)
	}
	return &Ledger{Rows: lines}
}

// Generator is Generated without holding the lines: it makes each one as it is read, so a
// benchmark of a million lines measures the exporter's memory, not the test data's.
type Generator struct{ N int }

// LedgerLines yields the generated lines (the window is ignored: they are all in March 2024).
func (g *Generator) LedgerLines(ctx context.Context, _, _ time.Time) iter.Seq2[transform.Line, error] {
	return func(yield func(transform.Line, error) bool) {
		for l := range g.lines() {
			if !yield(l, nil) {
				return
			}
		}
	}
}

// Exceptions yields none.
func (g *Generator) Exceptions(context.Context, time.Time, time.Time) iter.Seq2[transform.Exception, error] {
	return func(func(transform.Exception, error) bool) {}
}

func (g *Generator) lines() iter.Seq[transform.Line] {
	return func(yield func(transform.Line) bool) {
		entries := g.N / 3
		balance := [2]decimal.Decimal{D("1000000.00"), D("500000.00")}
		merchants := []string{"Pret A Manger", "Trainline", "Amazon Business", "WeWork", "Uber", "=cmd|' /C calc'!A0"}
		groups := []string{"Sales", "Ops", "R&D"}
		rate := ND("20")
		for i := range entries {
			d := time.Date(2024, 3, 1+i*31/max(entries, 1), 0, 0, 0, 0, time.UTC)
			at := d.Add(time.Duration(i%86400) * time.Second)
			acct := i % 2
			cents := int64(100 + i%9900)
			gross := decimal.New(cents, -2)
			tax := decimal.New((cents*20+60)/120, -2) // round(gross×20/120), half up: positive
			net := gross.Sub(tax)
			balance[acct] = balance[acct].Sub(gross)
			entry := fmt.Sprintf("tx-%08d", i)
			base := transform.Line{
				EntryID: entry, BookingDate: d, OccurredAt: at, Period: "2024-03", Version: 1, Currency: "GBP",
				Merchant: merchants[i%len(merchants)], Description: "Generated expense " + entry,
				TransactionID: entry, TransactionType: "card_payment", TransactionState: "completed",
				ExpenseID: "e-" + entry, ExpenseState: "completed", ReceiptIDs: []string{"r-" + entry},
				CardLastDigits: "4242", CardHolder: "Ada Lovelace",
			}
			labels := map[string]string{"Department": groups[i%3]}
			split := func(l *transform.Line) {
				l.Net, l.Tax, l.Gross = decimal.NewNullDecimal(net), decimal.NewNullDecimal(tax), decimal.NewNullDecimal(gross)
				l.TaxRateID, l.TaxRateName, l.TaxRatePercent = "tr-20", "20% (VAT on Expenses)", rate
				l.CategoryID, l.CategoryCode, l.CategoryName = "cat-travel", "6000", "Travel"
				l.Labels = labels
			}
			if !yield(with(base, func(l *transform.Line) {
				l.Key = transform.LineKey{SourceType: "transaction", SourceID: entry, Role: "bank"}
				l.AccountCode, l.AccountName, l.Amount = fmt.Sprintf("120%d", acct), "Revolut GBP", gross.Neg()
				l.RevolutAccountID, l.BankBalance = fmt.Sprintf("acc-%d", acct), decimal.NewNullDecimal(balance[acct])
			})) {
				return
			}
			if !yield(with(base, func(l *transform.Line) {
				l.Key = transform.LineKey{SourceType: "expense", SourceID: "e-" + entry, Role: "net"}
				l.AccountCode, l.AccountName, l.Amount = "6000", "Travel", net
				split(l)
			})) {
				return
			}
			if !yield(with(base, func(l *transform.Line) {
				l.Key = transform.LineKey{SourceType: "expense", SourceID: "e-" + entry, Role: "vat"}
				l.AccountCode, l.AccountName, l.Amount = "2201", "VAT input", tax
				split(l)
			})) {
				return
			}
		}
	}
}
