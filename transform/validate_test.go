package transform

import (
	"strings"
	"testing"
	"time"

	"github.com/revledger/revledger/extract/revolut"
)

func TestIsCurrencyCode(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"GBP": true, "JPY": true, "XAU": true,
		"GBPX": false, "GB": false, "gbp": false, "Gbp": false, "GB1": false, "123": false,
		"": false, "ÉUR": false, "G\x00P": false, " GB": false,
	} {
		if got := IsCurrencyCode(s); got != want {
			t.Errorf("IsCurrencyCode(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestMalformedCurrencyRefused: each malformed currency (issue 21 item 3: GBPX, GB, lower case,
// digits) on a leg, a bill, a split, a spent amount or the leg's account makes the record an
// invalid_currency exception with no lines; the same record with GBP books.
func TestMalformedCurrencyRefused(t *testing.T) {
	t.Parallel()
	s := testSettings()
	s.Accounts = append(s.Accounts, revolut.Account{ID: "acc-bad", Name: "Broken", Currency: "GBPX"})
	b, err := NewBooker(s)
	if err != nil {
		t.Fatal(err)
	}
	good := txn("tx-1", revolut.TypeCardPayment, leg("acc-gbp", "-12.00", "GBP"))
	exp := expense("exp-1", "tx-1", revolut.ExpenseApproved, "12.00", "GBP",
		split("12.00", "GBP", "cat-travel", "Travel", "493", "tr-std", "20"))
	if bk := b.BookTransaction(good, []revolut.Expense{exp}); !bk.Booked || len(bk.Lines) != 3 {
		// bank −12.00, net 10.00, VAT 2.00 (12 × 20/120).
		t.Fatalf("control transaction: booked %v, %d lines", bk.Booked, len(bk.Lines))
	}
	cases := []struct {
		name string
		tx   revolut.Transaction
		exps []revolut.Expense
		want string
	}{
		{"leg GBPX", with(good, func(t *revolut.Transaction) { t.Legs = []revolut.Leg{leg("acc-gbp", "-12.00", "GBPX")} }), nil, `leg 0 currency "GBPX"`},
		{"leg GB", with(good, func(t *revolut.Transaction) { t.Legs = []revolut.Leg{leg("acc-gbp", "-12.00", "GB")} }), nil, `"GB"`},
		{"leg lower case", with(good, func(t *revolut.Transaction) { t.Legs = []revolut.Leg{leg("acc-gbp", "-12.00", "gbp")} }), nil, `"gbp"`},
		{"leg digits", with(good, func(t *revolut.Transaction) { t.Legs = []revolut.Leg{leg("acc-gbp", "-12.00", "826")} }), nil, `"826"`},
		{"bill currency", with(good, func(t *revolut.Transaction) {
			l := leg("acc-gbp", "-12.00", "GBP")
			l.BillAmount, l.BillCurrency = ndec("14.00"), "EU"
			t.Legs = []revolut.Leg{l}
		}), nil, `bill currency "EU"`},
		{"fee on a bad leg", with(good, func(t *revolut.Transaction) {
			l := leg("acc-gbp", "-12.00", "usd")
			l.Fee = ndec("0.50")
			t.Legs = []revolut.Leg{l}
		}), nil, `"usd"`},
		{"account currency", with(good, func(t *revolut.Transaction) { t.Legs = []revolut.Leg{leg("acc-bad", "-12.00", "GBP")} }), nil, `account acc-bad currency "GBPX"`},
		{"split currency", good, []revolut.Expense{with(exp, func(x *revolut.Expense) { x.Splits[0].Amount.Currency = "GBP1" })}, `split 0 currency "GBP1"`},
		{"spent currency", good, []revolut.Expense{with(exp, func(x *revolut.Expense) { x.SpentAmount.Currency = "POUND" })}, `spent currency "POUND"`},
	}
	for _, c := range cases {
		// with() copies the struct but shares the splits slice: give each case its own.
		for i := range c.exps {
			c.exps[i].Splits = append([]revolut.Split(nil), c.exps[i].Splits...)
		}
		bk := b.BookTransaction(c.tx, c.exps)
		if bk.Booked || len(bk.Lines) != 0 || len(bk.Exceptions) != 1 {
			t.Errorf("%s: booked %v, %d lines, %d exceptions; want refused", c.name, bk.Booked, len(bk.Lines), len(bk.Exceptions))
			continue
		}
		e := bk.Exceptions[0]
		if e.Kind != KindInvalidCurrency || !strings.Contains(e.Reason, c.want) || e.Period != "2024-09" || e.EntryID != "" {
			t.Errorf("%s: exception %+v, want kind %s mentioning %s in period 2024-09", c.name, e, KindInvalidCurrency, c.want)
		}
	}

	// A reimbursement (booked on its own) with a malformed split currency is refused too.
	reimb := expense("exp-2", "", revolut.ExpenseApproved, "30.00", "GBP", split("30.00", "gbp", "cat-travel", "Travel", "493", "tr-std", "20"))
	reimb.TransactionType = revolut.ExpenseTypeExternal
	if bk := b.BookExpense(reimb); bk.Booked || len(bk.Exceptions) != 1 || bk.Exceptions[0].Kind != KindInvalidCurrency {
		t.Errorf("reimbursement with split currency gbp: %+v", bk)
	}
}

// TestImplausibleDateRefused: issue 21 item 4. A completed_at in 9999 (or 1899, or a week and
// a day ahead) is an implausible_date exception that belongs to no period (Period "", no
// occurred_at), so no period 9999-12 can come into being; dates inside the range book.
func TestImplausibleDateRefused(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
	s := testSettings()
	s.Plausible = PlausibleRange(now, DefaultPlausiblePastYears, DefaultPlausibleFutureDays)
	// [1996-05-10T12:00Z, 2026-05-17T12:00Z)
	if want := (DateRange{time.Date(1996, 5, 10, 12, 0, 0, 0, time.UTC), time.Date(2026, 5, 17, 12, 0, 0, 0, time.UTC)}); s.Plausible != want {
		t.Fatalf("range %v, want %v", s.Plausible, want)
	}
	b, err := NewBooker(s)
	if err != nil {
		t.Fatal(err)
	}
	base := txn("tx-9", revolut.TypeTopup, leg("acc-gbp", "100.00", "GBP"))
	cases := []struct {
		name   string
		mutate func(*revolut.Transaction)
		refuse bool
	}{
		{"2024 booked", func(*revolut.Transaction) {}, false},
		{"completed 9999", func(t *revolut.Transaction) { t.CompletedAt = ts("9999-12-31T23:59:59Z") }, true},
		{"created 9999 while pending", func(t *revolut.Transaction) {
			t.State, t.CompletedAt, t.CreatedAt = revolut.TransactionPending, revolut.Time{}, ts("9999-01-01T00:00:00Z")
		}, true},
		{"updated 1899", func(t *revolut.Transaction) { t.UpdatedAt = ts("1899-12-31T00:00:00Z") }, true},
		{"just before the range", func(t *revolut.Transaction) { t.CreatedAt = ts("1996-05-10T11:59:59Z") }, true},
		{"at the range's start", func(t *revolut.Transaction) { t.CreatedAt = ts("1996-05-10T12:00:00Z") }, false},
		{"six days ahead", func(t *revolut.Transaction) {
			t.CompletedAt, t.UpdatedAt = ts("2026-05-16T12:00:00Z"), ts("2026-05-16T12:00:00Z")
		}, false},
		{"seven days ahead", func(t *revolut.Transaction) {
			t.CompletedAt, t.UpdatedAt = ts("2026-05-17T12:00:00Z"), ts("2026-05-17T12:00:00Z")
		}, true},
		{"no date at all", func(t *revolut.Transaction) {
			t.CreatedAt, t.UpdatedAt, t.CompletedAt = revolut.Time{}, revolut.Time{}, revolut.Time{}
		}, true},
	}
	for _, c := range cases {
		tx := base
		c.mutate(&tx)
		bk := b.BookTransaction(tx, nil)
		if !c.refuse {
			if len(bk.Lines) == 0 && tx.State == revolut.TransactionCompleted {
				t.Errorf("%s: not booked: %+v", c.name, bk.Exceptions)
			}
			for _, e := range bk.Exceptions {
				if e.Kind == KindImplausibleDate {
					t.Errorf("%s: refused: %s", c.name, e.Reason)
				}
			}
			continue
		}
		if bk.Booked || len(bk.Lines) != 0 || len(bk.Exceptions) != 1 {
			t.Errorf("%s: booked %v, %d lines, %+v", c.name, bk.Booked, len(bk.Lines), bk.Exceptions)
			continue
		}
		if e := bk.Exceptions[0]; e.Kind != KindImplausibleDate || e.Period != "" || !e.OccurredAt.IsZero() || !strings.Contains(e.Reason, "plausible") && c.name != "no date at all" {
			t.Errorf("%s: exception %+v", c.name, e)
		}
	}

	// Expenses: a reimbursement and an orphan dated 9999 are refused, with no period.
	x := expense("exp-9", "", revolut.ExpenseApproved, "30.00", "GBP", split("30.00", "GBP", "cat-travel", "Travel", "493", "tr-std", "20"))
	x.TransactionType, x.ExpenseDate = revolut.ExpenseTypeExternal, ts("9999-12-01T00:00:00Z")
	orphan := with(x, func(x *revolut.Expense) { x.TransactionID = "tx-unknown" })
	for _, bk := range []Booking{b.BookExpense(x), b.OrphanExpense(orphan)} {
		if bk.Booked || len(bk.Exceptions) != 1 || bk.Exceptions[0].Kind != KindImplausibleDate || bk.Exceptions[0].Period != "" {
			t.Errorf("expense dated 9999: %+v", bk)
		}
	}
	x.ExpenseDate = ts("2026-05-01T00:00:00Z")
	if bk := b.BookExpense(x); !bk.Booked {
		t.Errorf("reimbursement dated 2026-05-01 not booked: %+v", bk.Exceptions)
	}

	// The zero range (callers that set none) accepts every date, as before.
	old := newTestBooker(t)
	tx := base
	tx.CompletedAt = ts("9999-12-31T23:59:59Z")
	if bk := old.BookTransaction(tx, nil); !bk.Booked || bk.Lines[0].Period != "9999-12" {
		t.Errorf("zero range: %+v", bk)
	}
}
