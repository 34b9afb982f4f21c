package transform

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/revolut"
)

func ndec(s string) decimal.NullDecimal { return decimal.NewNullDecimal(dec(s)) }

func ts(s string) revolut.Time {
	t, err := revolut.ParseTime(s)
	if err != nil {
		panic(err)
	}
	return t
}

// testChart is the default chart plus one account override (a second GBP account) and one
// category-code override (Revolut category 555 "Groceries" → 5010 "Staff welfare").
func testChart() Chart {
	c := DefaultChart()
	c.BankByAccount = map[string]string{"acc-gbp2": "1210"}
	c.ByCategoryCode["555"] = "5010"
	c.Names["1210"] = "Revolut GBP savings"
	c.Names["5010"] = "Staff welfare"
	return c
}

func testSettings() Settings {
	return Settings{
		Accounts: []revolut.Account{
			{ID: "acc-gbp", Name: "Main", Currency: "GBP"},
			{ID: "acc-gbp2", Name: "Savings", Currency: "GBP"},
			{ID: "acc-eur", Name: "Euro", Currency: "EUR"},
			{ID: "acc-aed", Name: "Dirham", Currency: "AED"},
			{ID: "acc-jpy", Name: "Yen", Currency: "JPY"},
			{ID: "acc-bhd", Name: "Dinar", Currency: "BHD"},
		},
		Categories: []revolut.AccountingCategory{
			{ID: "cat-travel", Name: "Travel - National", Code: "493"},
		},
		TaxRates: []revolut.TaxRate{
			{ID: "tr-std", Name: "20% (VAT on Expenses)", Percentage: ndec("20")},
			{ID: "tr-nopct", Name: "Mystery"},
		},
		Location: time.UTC,
		Chart:    testChart(),
	}
}

func newTestBooker(t testing.TB) *Booker {
	t.Helper()
	b, err := NewBooker(testSettings())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Builders for the records of the tests.

func leg(account, amount, cur string) revolut.Leg {
	return revolut.Leg{LegID: "leg-" + account, AccountID: account, Amount: dec(amount), Currency: cur, Description: "leg on " + account}
}

func txn(id, typ string, legs ...revolut.Leg) revolut.Transaction {
	return revolut.Transaction{
		ID: id, Type: typ, State: revolut.TransactionCompleted,
		CreatedAt:   ts("2024-09-13T10:00:00Z"),
		UpdatedAt:   ts("2024-09-14T09:00:00Z"),
		CompletedAt: ts("2024-09-14T08:30:00Z"),
		Legs:        legs,
	}
}

func split(amount, cur, catID, catName, catCode, rateID string, pct string) revolut.Split {
	s := revolut.Split{
		Amount:   revolut.Money{Amount: dec(amount), Currency: cur},
		Category: revolut.SplitCategory{ID: catID, Name: catName, Code: catCode},
		TaxRate:  revolut.SplitTaxRate{ID: rateID, Name: rateID},
	}
	if pct != "" {
		s.TaxRate.Percentage = ndec(pct)
	}
	return s
}

func expense(id, txID, state, spent, cur string, splits ...revolut.Split) revolut.Expense {
	return revolut.Expense{
		ID: id, TransactionID: txID, State: state, TransactionType: revolut.TypeCardPayment,
		ExpenseDate: ts("2024-09-14T08:30:00Z"),
		Splits:      splits,
		SpentAmount: revolut.Money{Amount: dec(spent), Currency: cur},
		ReceiptIDs:  []string{"rcpt-" + id},
	}
}

func with[T any](v T, f func(*T)) T {
	f(&v)
	return v
}

// render prints a line compactly for comparison: entry, index/role, account, amount, the
// original amount when there is one, and the VAT figures of split lines.
func render(l Line) string {
	s := fmt.Sprintf("%s %d/%s %s %s %s", l.EntryID, l.Key.Index, l.Key.Role, l.AccountCode,
		l.Amount.StringFixed(MinorUnits(l.Currency)), l.Currency)
	if l.OriginalAmount.Valid {
		s += fmt.Sprintf(" orig %s %s", l.OriginalAmount.Decimal.StringFixed(MinorUnits(l.OriginalCurrency)), l.OriginalCurrency)
	}
	if l.Gross.Valid {
		rate := "?"
		if l.TaxRatePercent.Valid {
			rate = l.TaxRatePercent.Decimal.String()
		}
		p := MinorUnits(l.Currency)
		s += fmt.Sprintf(" [gross %s = net %s + tax %s @%s%%]",
			l.Gross.Decimal.StringFixed(p), l.Net.Decimal.StringFixed(p), l.Tax.Decimal.StringFixed(p), rate)
	}
	return s
}

// The bookers of these tests have no RateBook, so every entry with a foreign-currency line
// also has a missing_fx_rate exception; kinds leaves those out, and fx_test.go checks them.
func kinds(exc []Exception) []string {
	out := make([]string, 0, len(exc))
	for _, e := range exc {
		if e.Kind == KindMissingFXRate {
			continue
		}
		out = append(out, e.Kind)
	}
	return out
}

// checkBooking compares the rendered lines and the exception kinds, and checks the invariants
// every booking must hold whatever the case.
func checkBooking(t *testing.T, got Booking, wantBooked bool, wantLines, wantKinds []string) {
	t.Helper()
	var lines []string
	for _, l := range got.Lines {
		lines = append(lines, render(l))
	}
	if !reflect.DeepEqual(lines, wantLines) {
		t.Errorf("lines:\n  got  %s\n  want %s", strings.Join(lines, "\n       "), strings.Join(wantLines, "\n       "))
	}
	if gk := kinds(got.Exceptions); !reflect.DeepEqual(gk, nonNil(wantKinds)) {
		t.Errorf("exception kinds = %v, want %v", gk, wantKinds)
		for _, e := range got.Exceptions {
			t.Logf("  %s: %s", e.Kind, e.Reason)
		}
	}
	if got.Booked != wantBooked {
		t.Errorf("Booked = %v, want %v", got.Booked, wantBooked)
	}
	checkInvariants(t, got)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// checkInvariants holds for any booking: entries balance per currency, net + tax = gross,
// amounts are in minor units, keys are unique, reasons are filled in.
func checkInvariants(t testing.TB, bk Booking) {
	t.Helper()
	if bk.Booked != (len(bk.Lines) > 0) {
		t.Errorf("Booked = %v with %d lines", bk.Booked, len(bk.Lines))
	}
	sums := map[string]decimal.Decimal{}
	keys := map[string]bool{}
	for _, l := range bk.Lines {
		k := l.EntryID + " " + l.Currency
		sums[k] = sums[k].Add(l.Amount)
		if keys[l.Key.String()] {
			t.Errorf("duplicate line key %s", l.Key)
		}
		keys[l.Key.String()] = true
		if !l.Amount.Equal(Round(l.Amount, l.Currency)) {
			t.Errorf("%s: amount %s has more decimals than %s", l.Key, l.Amount, l.Currency)
		}
		if l.Gross.Valid && !l.Net.Decimal.Add(l.Tax.Decimal).Equal(l.Gross.Decimal) {
			t.Errorf("%s: net %s + tax %s != gross %s", l.Key, l.Net.Decimal, l.Tax.Decimal, l.Gross.Decimal)
		}
		if l.AccountCode == "" || l.AccountName == "" || l.EntryID == "" || l.Version != 1 || l.Period == "" {
			t.Errorf("%s: incomplete line: %+v", l.Key, l)
		}
		if l.Period != l.BookingDate.Format("2006-01") || l.BookingDate.Location() != time.UTC ||
			l.BookingDate.Hour() != 0 || l.OccurredAt.Location() != time.UTC {
			t.Errorf("%s: dates: booking %v occurred %v period %s", l.Key, l.BookingDate, l.OccurredAt, l.Period)
		}
	}
	for k, s := range sums {
		if !s.IsZero() {
			t.Errorf("entry/currency %s does not balance: sum %s", k, s)
		}
	}
	// In base currency: an entry's lines all have a base amount and sum to zero, or none has.
	baseSums, withBase, withoutBase := map[string]decimal.Decimal{}, map[string]int{}, map[string]int{}
	for _, l := range bk.Lines {
		if l.BaseAmount.Valid != l.BaseRate.Valid || l.BaseAmount.Valid != (l.RateSource != "") {
			t.Errorf("%s: base amount %v, rate %v and source %q must come together", l.Key, l.BaseAmount, l.BaseRate, l.RateSource)
		}
		if !l.BaseAmount.Valid {
			withoutBase[l.EntryID]++
			continue
		}
		withBase[l.EntryID]++
		baseSums[l.EntryID] = baseSums[l.EntryID].Add(l.BaseAmount.Decimal)
	}
	for id, s := range baseSums {
		if withoutBase[id] > 0 {
			t.Errorf("entry %s: %d lines with a base amount and %d without", id, withBase[id], withoutBase[id])
		} else if !s.IsZero() {
			t.Errorf("entry %s does not balance in base currency: sum %s", id, s)
		}
	}
	for _, e := range bk.Exceptions {
		if e.Kind == KindUnbalancedEntry {
			t.Errorf("unbalanced entry: %s", e.Reason)
		}
		if e.Reason == "" || e.SourceID == "" || e.Period == "" {
			t.Errorf("incomplete exception: %+v", e)
		}
	}
}

func TestBookTransaction(t *testing.T) {
	t.Parallel()
	b := newTestBooker(t)

	tests := []struct {
		name       string
		tx         revolut.Transaction
		expenses   []revolut.Expense
		wantBooked bool
		wantLines  []string
		wantKinds  []string
	}{
		{
			// The spec's example expense. 15.39×20/120 = 2.565 exactly → 2.57 (half away from
			// zero), net 15.39 − 2.57 = 12.82. 8.99 at 0%: no VAT line; category 555 is
			// overridden to 5010. Bank −24.38 = −(12.82 + 2.57 + 8.99).
			name: "card payment with two splits",
			tx:   txn("t1", revolut.TypeCardPayment, leg("acc-gbp", "-24.38", "GBP")),
			expenses: []revolut.Expense{expense("e1", "t1", revolut.ExpenseApproved, "24.38", "GBP",
				split("15.39", "GBP", "cat-print", "Printing & Stationery", "461", "tr-vat", "20"),
				split("8.99", "GBP", "cat-groc", "Groceries", "555", "tr-zero", "0"))},
			wantBooked: true,
			wantLines: []string{
				"txn:t1 0/bank 1200 -24.38 GBP",
				"txn:t1 0/net 461 12.82 GBP [gross 15.39 = net 12.82 + tax 2.57 @20%]",
				"txn:t1 0/vat 2201 2.57 GBP [gross 15.39 = net 12.82 + tax 2.57 @20%]",
				"txn:t1 1/net 5010 8.99 GBP [gross 8.99 = net 8.99 + tax 0.00 @0%]",
			},
		},
		{
			// The spec's AED example: the fee 0.66 is its own pair (7901 / bank); without an
			// expense the card payment's 47.80 goes to suspense.
			name: "card payment with leg fee and no expense",
			tx: txn("t2", revolut.TypeCardPayment, with(leg("acc-aed", "-47.80", "AED"), func(l *revolut.Leg) {
				l.Fee, l.BillAmount, l.BillCurrency = ndec("0.66"), ndec("-13"), "USD"
			})),
			wantBooked: true,
			wantLines: []string{
				"txn:t2 0/bank 1208 -47.80 AED orig -13.00 USD",
				"txn:t2 0/fee 7901 0.66 AED",
				"txn:t2 0/fee_bank 1208 -0.66 AED",
				"txn:t2 0/balancing 9999 47.80 AED",
			},
			wantKinds: []string{KindMissingExpense},
		},
		{
			// EUR splits on a GBP account: 20.00 allocated over 15.00 and 8.50 (23.50):
			// 20×15/23.5 = 12.7659 (rem .66) and 20×8.5/23.5 = 7.2340 (rem .34); floors
			// 12.76 + 7.23 = 19.99, the residue 0.01 goes to the first → 12.77 and 7.23.
			// VAT in 12.77 at 20%: 12.77/6 = 2.1283 → 2.13, net 10.64.
			name: "cross-currency splits allocated in the account currency",
			tx: txn("t3", revolut.TypeCardPayment, with(leg("acc-gbp", "-20.00", "GBP"), func(l *revolut.Leg) {
				l.BillAmount, l.BillCurrency = ndec("-23.50"), "EUR"
			})),
			expenses: []revolut.Expense{expense("e3", "t3", revolut.ExpenseApproved, "23.50", "EUR",
				split("15.00", "EUR", "cat-adv", "Advertising", "400", "tr-vat", "20"),
				split("8.50", "EUR", "cat-gen", "General Expenses", "429", "tr-zero", "0"))},
			wantBooked: true,
			wantLines: []string{
				"txn:t3 0/bank 1200 -20.00 GBP orig -23.50 EUR",
				// A 20% rate on a EUR purchase is foreign VAT (vat.go): the whole 12.77 on 400.
				"txn:t3 0/net 400 12.77 GBP orig 15.00 EUR [gross 12.77 = net 12.77 + tax 0.00 @20%]",
				"txn:t3 1/net 429 7.23 GBP orig 8.50 EUR [gross 7.23 = net 7.23 + tax 0.00 @0%]",
			},
		},
		{
			// Each currency is balanced on 1290: −100 GBP + 100 GBP, 115.50 EUR − 115.50 EUR.
			name:       "exchange GBP to EUR",
			tx:         txn("t4", revolut.TypeExchange, leg("acc-gbp", "-100.00", "GBP"), leg("acc-eur", "115.50", "EUR")),
			wantBooked: true,
			wantLines: []string{
				"txn:t4 0/bank 1200 -100.00 GBP",
				"txn:t4 1/bank 1201 115.50 EUR",
				"txn:t4 0/fx_clearing 1290 100.00 GBP",
				"txn:t4 1/fx_clearing 1290 -115.50 EUR",
			},
		},
		{
			name: "exchange ignores a linked expense",
			tx:   txn("t4b", revolut.TypeExchange, leg("acc-gbp", "-1.00", "GBP"), leg("acc-eur", "1.16", "EUR")),
			expenses: []revolut.Expense{expense("e4b", "t4b", revolut.ExpenseApproved, "1.00", "GBP",
				split("1.00", "GBP", "c", "C", "461", "tr-vat", "20"))},
			wantBooked: true,
			wantLines: []string{
				"txn:t4b 0/bank 1200 -1.00 GBP",
				"txn:t4b 1/bank 1201 1.16 EUR",
				"txn:t4b 0/fx_clearing 1290 1.00 GBP",
				"txn:t4b 1/fx_clearing 1290 -1.16 EUR",
			},
			wantKinds: []string{KindExpenseIgnored},
		},
		{
			// Same currency, nets to zero: no clearing line; the savings account is mapped by id.
			name:       "transfer between own GBP accounts",
			tx:         txn("t5", revolut.TypeTransfer, leg("acc-gbp", "-500.00", "GBP"), leg("acc-gbp2", "500.00", "GBP")),
			wantBooked: true,
			wantLines: []string{
				"txn:t5 0/bank 1200 -500.00 GBP",
				"txn:t5 1/bank 1210 500.00 GBP",
			},
		},
		{
			// −500.00 + 499.99 = −0.01: the clearing line takes +0.01 and it is reported.
			name:       "own transfer legs that do not net",
			tx:         txn("t6", revolut.TypeTransfer, leg("acc-gbp", "-500.00", "GBP"), leg("acc-gbp2", "499.99", "GBP")),
			wantBooked: true,
			wantLines: []string{
				"txn:t6 0/bank 1200 -500.00 GBP",
				"txn:t6 1/bank 1210 499.99 GBP",
				"txn:t6 0/fx_clearing 1290 0.01 GBP",
			},
			wantKinds: []string{KindUnbalancedLegs},
		},
		{
			name:       "top-up on the type's default account",
			tx:         txn("t7", revolut.TypeTopup, leg("acc-gbp", "1000.00", "GBP")),
			wantBooked: true,
			wantLines: []string{
				"txn:t7 0/bank 1200 1000.00 GBP",
				"txn:t7 0/balancing 1299 -1000.00 GBP",
			},
			// Top-ups are routine (Chart.RoutineTypes): no exception.
			wantKinds: nil,
		},
		{
			name:       "ATM withdrawal without an expense is an exception",
			tx:         txn("t7c", revolut.TypeATM, leg("acc-gbp", "-320.00", "GBP")),
			wantBooked: true,
			wantLines: []string{
				"txn:t7c 0/bank 1200 -320.00 GBP",
				"txn:t7c 0/balancing 1230 320.00 GBP",
			},
			wantKinds: []string{KindDefaultAccount},
		},
		{
			name:       "tax payment on VAT control",
			tx:         txn("t7b", revolut.TypeTax, leg("acc-gbp", "-2500.00", "GBP")),
			wantBooked: true,
			wantLines: []string{
				"txn:t7b 0/bank 1200 -2500.00 GBP",
				"txn:t7b 0/balancing 2200 2500.00 GBP",
			},
			wantKinds: nil,
		},
		{
			name:       "unknown type to suspense",
			tx:         txn("t8", "crypto_buy", leg("acc-gbp", "-50.00", "GBP")),
			wantBooked: true,
			wantLines: []string{
				"txn:t8 0/bank 1200 -50.00 GBP",
				"txn:t8 0/balancing 9999 50.00 GBP",
			},
			wantKinds: []string{KindUnknownType},
		},
		{
			// The refund's expense records a positive 15.39; the bank receives +15.39, so the
			// gross is −15.39: tax = round(−15.39×20/120 = −2.565) = −2.57 (away from zero),
			// net = −15.39 + 2.57 = −12.82.
			name: "card refund with expense: negative VAT",
			tx: with(txn("t9", revolut.TypeCardRefund, leg("acc-gbp", "15.39", "GBP")), func(tx *revolut.Transaction) {
				tx.RelatedTransactionID = "t1"
			}),
			expenses: []revolut.Expense{expense("e9", "t9", revolut.ExpenseApproved, "15.39", "GBP",
				split("15.39", "GBP", "cat-print", "Printing & Stationery", "461", "tr-vat", "20"))},
			wantBooked: true,
			wantLines: []string{
				"txn:t9 0/bank 1200 15.39 GBP",
				"txn:t9 0/net 461 -12.82 GBP [gross -15.39 = net -12.82 + tax -2.57 @20%]",
				"txn:t9 0/vat 2201 -2.57 GBP [gross -15.39 = net -12.82 + tax -2.57 @20%]",
			},
		},
		{
			// Revolut may also record the refund's split as negative: same result.
			name: "card refund with negative split amounts",
			tx:   txn("t9b", revolut.TypeCardRefund, leg("acc-gbp", "15.39", "GBP")),
			expenses: []revolut.Expense{expense("e9b", "t9b", revolut.ExpenseApproved, "-15.39", "GBP",
				split("-15.39", "GBP", "cat-print", "Printing & Stationery", "461", "tr-vat", "20"))},
			wantBooked: true,
			wantLines: []string{
				"txn:t9b 0/bank 1200 15.39 GBP",
				"txn:t9b 0/net 461 -12.82 GBP [gross -15.39 = net -12.82 + tax -2.57 @20%]",
				"txn:t9b 0/vat 2201 -2.57 GBP [gross -15.39 = net -12.82 + tax -2.57 @20%]",
			},
		},
		{
			name:       "card refund without expense",
			tx:         txn("t10", revolut.TypeCardRefund, leg("acc-gbp", "5.00", "GBP")),
			wantBooked: true,
			wantLines: []string{
				"txn:t10 0/bank 1200 5.00 GBP",
				"txn:t10 0/balancing 1296 -5.00 GBP",
			},
			wantKinds: []string{KindDefaultAccount},
		},
		{
			// Splits 20.00 + 5.00 = 25.00 explain 25.00 of the 30.00 paid: the 5.00 left goes
			// to suspense.
			name: "splits short of the bank amount",
			tx:   txn("t11", revolut.TypeCardPayment, leg("acc-gbp", "-30.00", "GBP")),
			expenses: []revolut.Expense{expense("e11", "t11", revolut.ExpenseApproved, "25.00", "GBP",
				split("20.00", "GBP", "c1", "Printing", "461", "tr-zero", "0"),
				split("5.00", "GBP", "c2", "General", "429", "tr-zero", "0"))},
			wantBooked: true,
			wantLines: []string{
				"txn:t11 0/bank 1200 -30.00 GBP",
				"txn:t11 0/split_difference 9999 5.00 GBP",
				"txn:t11 0/net 461 20.00 GBP [gross 20.00 = net 20.00 + tax 0.00 @0%]",
				"txn:t11 1/net 429 5.00 GBP [gross 5.00 = net 5.00 + tax 0.00 @0%]",
			},
			wantKinds: []string{KindSplitsMismatch},
		},
		{
			name: "splits not adding up to the spent amount",
			tx:   txn("t11b", revolut.TypeCardPayment, leg("acc-gbp", "-10.00", "GBP")),
			expenses: []revolut.Expense{expense("e11b", "t11b", revolut.ExpenseApproved, "12.00", "GBP",
				split("10.00", "GBP", "c1", "Printing", "461", "tr-zero", "0"))},
			wantBooked: true,
			wantLines: []string{
				"txn:t11b 0/bank 1200 -10.00 GBP",
				"txn:t11b 0/net 461 10.00 GBP [gross 10.00 = net 10.00 + tax 0.00 @0%]",
			},
			wantKinds: []string{KindSpentMismatch},
		},
		{
			// Split A: no code on the split, the settings give cat-travel code 493; tax rate
			// tr-std without a percentage, the settings give 20%: 24×20/120 = 4.00, net 20.00.
			// Split B: category unknown → suspense; tax rate unknown → no VAT.
			name: "category and tax rate from settings, unknown ones reported",
			tx:   txn("t12", revolut.TypeCardPayment, leg("acc-gbp", "-36.00", "GBP")),
			expenses: []revolut.Expense{expense("e12", "t12", revolut.ExpenseApproved, "36.00", "GBP",
				split("24.00", "GBP", "cat-travel", "Travel", "", "tr-std", ""),
				split("12.00", "GBP", "cat-x", "Misc", "", "tr-nopct", ""))},
			wantBooked: true,
			wantLines: []string{
				"txn:t12 0/bank 1200 -36.00 GBP",
				"txn:t12 0/net 493 20.00 GBP [gross 24.00 = net 20.00 + tax 4.00 @20%]",
				"txn:t12 0/vat 2201 4.00 GBP [gross 24.00 = net 20.00 + tax 4.00 @20%]",
				"txn:t12 1/net 9999 12.00 GBP [gross 12.00 = net 12.00 + tax 0.00 @?%]",
			},
			wantKinds: []string{KindMissingCategory, KindUnknownTaxRate},
		},
		{
			name: "expense with missing info: suspense",
			tx:   txn("t13", revolut.TypeCardPayment, leg("acc-gbp", "-10.00", "GBP")),
			expenses: []revolut.Expense{expense("e13", "t13", revolut.ExpenseMissingInfo, "10.00", "GBP",
				split("10.00", "GBP", "c1", "Printing", "461", "tr-vat", "20"))},
			wantBooked: true,
			wantLines: []string{
				"txn:t13 0/bank 1200 -10.00 GBP",
				"txn:t13 0/balancing 9999 10.00 GBP",
			},
			wantKinds: []string{KindExpenseNotUsable},
		},
		{
			// The spec's fee expense is missing_info: the fee type's default account is used.
			name: "fee with an unusable expense: type default",
			tx:   txn("t14", revolut.TypeFee, leg("acc-eur", "-17.68", "EUR")),
			expenses: []revolut.Expense{expense("e14", "t14", revolut.ExpenseMissingInfo, "17.68", "EUR",
				split("17.68", "EUR", "c1", "General Expenses", "429", "tr-vat", "20"))},
			wantBooked: true,
			wantLines: []string{
				"txn:t14 0/bank 1201 -17.68 EUR",
				"txn:t14 0/balancing 7901 17.68 EUR",
			},
			wantKinds: []string{KindExpenseNotUsable},
		},
		{
			// 12.00×20/120 = 2.00, net 10.00.
			name: "expense awaiting review is used and reported",
			tx:   txn("t15", revolut.TypeCardPayment, leg("acc-gbp", "-12.00", "GBP")),
			expenses: []revolut.Expense{expense("e15", "t15", revolut.ExpenseAwaitingReview, "12.00", "GBP",
				split("12.00", "GBP", "c1", "Printing", "461", "tr-vat", "20"))},
			wantBooked: true,
			wantLines: []string{
				"txn:t15 0/bank 1200 -12.00 GBP",
				"txn:t15 0/net 461 10.00 GBP [gross 12.00 = net 10.00 + tax 2.00 @20%]",
				"txn:t15 0/vat 2201 2.00 GBP [gross 12.00 = net 10.00 + tax 2.00 @20%]",
			},
			wantKinds: []string{KindExpenseUnreviewed},
		},
		{
			// Two expenses on one payment, booked in id order: 6.00 (tax 1.00, net 5.00) then 4.00 at 0%.
			name: "two expenses on one payment",
			tx:   txn("t15b", revolut.TypeCardPayment, leg("acc-gbp", "-10.00", "GBP")),
			expenses: []revolut.Expense{
				expense("e-b", "t15b", revolut.ExpenseApproved, "4.00", "GBP", split("4.00", "GBP", "c", "G", "429", "z", "0")),
				expense("e-a", "t15b", revolut.ExpenseApproved, "6.00", "GBP", split("6.00", "GBP", "c", "P", "461", "v", "20")),
			},
			wantBooked: true,
			wantLines: []string{
				"txn:t15b 0/bank 1200 -10.00 GBP",
				"txn:t15b 0/net 461 5.00 GBP [gross 6.00 = net 5.00 + tax 1.00 @20%]",
				"txn:t15b 0/vat 2201 1.00 GBP [gross 6.00 = net 5.00 + tax 1.00 @20%]",
				"txn:t15b 1/net 429 4.00 GBP [gross 4.00 = net 4.00 + tax 0.00 @0%]",
			},
		},
		{
			name: "expense of another transaction is ignored",
			tx:   txn("t15c", revolut.TypeCardPayment, leg("acc-gbp", "-1.00", "GBP")),
			expenses: []revolut.Expense{expense("e-other", "t-other", revolut.ExpenseApproved, "1.00", "GBP",
				split("1.00", "GBP", "c", "P", "461", "v", "20"))},
			wantBooked: true,
			wantLines: []string{
				"txn:t15c 0/bank 1200 -1.00 GBP",
				"txn:t15c 0/balancing 9999 1.00 GBP",
			},
			wantKinds: []string{KindExpenseIgnored, KindMissingExpense},
		},
		{
			// Yen have no minor unit: 1000×10/110 = 90.909 → 91, net 909. JPY has no bank
			// code of its own: 1209.
			name: "JPY zero decimals",
			tx:   txn("t16", revolut.TypeCardPayment, leg("acc-jpy", "-1000", "JPY")),
			expenses: []revolut.Expense{expense("e16", "t16", revolut.ExpenseApproved, "1000", "JPY",
				split("1000", "JPY", "c1", "Printing", "461", "tr-10", "10"))},
			wantBooked: true,
			wantLines: []string{
				// acc-bhd (opened first by id) keeps the default 1209; acc-jpy gets the next free code.
				"txn:t16 0/bank 1211 -1000 JPY",
				// A 10% rate is foreign VAT (vat.go): the whole 1000 on 461, no VAT line.
				"txn:t16 0/net 461 1000 JPY [gross 1000 = net 1000 + tax 0 @10%]",
			},
		},
		{
			// 1000 yen over three equal USD splits: 333.33 each, floors 999, the residue yen
			// goes to the first split.
			name: "JPY allocation over USD splits",
			tx:   txn("t17", revolut.TypeCardPayment, leg("acc-jpy", "-1000", "JPY")),
			expenses: []revolut.Expense{expense("e17", "t17", revolut.ExpenseApproved, "6.00", "USD",
				split("2.00", "USD", "c1", "A", "461", "z", "0"),
				split("2.00", "USD", "c2", "B", "429", "z", "0"),
				split("2.00", "USD", "c3", "C", "400", "z", "0"))},
			wantBooked: true,
			wantLines: []string{
				"txn:t17 0/bank 1211 -1000 JPY",
				"txn:t17 0/net 461 334 JPY orig 2.00 USD [gross 334 = net 334 + tax 0 @0%]",
				"txn:t17 1/net 429 333 JPY orig 2.00 USD [gross 333 = net 333 + tax 0 @0%]",
				"txn:t17 2/net 400 333 JPY orig 2.00 USD [gross 333 = net 333 + tax 0 @0%]",
			},
		},
		{
			// 1.203×20/120 = 0.2005 → 0.201 (half away from zero at the third decimal), net 1.002.
			name: "BHD three decimals",
			tx:   txn("t18", revolut.TypeCardPayment, leg("acc-bhd", "-1.203", "BHD")),
			expenses: []revolut.Expense{expense("e18", "t18", revolut.ExpenseApproved, "1.203", "BHD",
				split("1.203", "BHD", "c1", "Printing", "461", "tr-vat", "20"))},
			wantBooked: true,
			wantLines: []string{
				"txn:t18 0/bank 1209 -1.203 BHD",
				// 20% on a BHD purchase is foreign VAT (vat.go): the whole 1.203 on 461.
				"txn:t18 0/net 461 1.203 BHD [gross 1.203 = net 1.203 + tax 0.000 @20%]",
			},
		},
		{
			// A GBP amount with a third decimal is bad data: rounded (10.005 → 10.01) and reported.
			name:       "amount with too many decimals",
			tx:         txn("t19", revolut.TypeTopup, leg("acc-gbp", "10.005", "GBP")),
			wantBooked: true,
			wantLines: []string{
				"txn:t19 0/bank 1200 10.01 GBP",
				"txn:t19 0/balancing 1299 -10.01 GBP",
			},
			wantKinds: []string{KindAmountRounded},
		},
		{
			name: "fee-only leg",
			tx: txn("t20", revolut.TypeFee, with(leg("acc-gbp", "0", "GBP"), func(l *revolut.Leg) {
				l.Fee = ndec("2.50")
			})),
			wantBooked: true,
			wantLines: []string{
				"txn:t20 0/fee 7901 2.50 GBP",
				"txn:t20 0/fee_bank 1200 -2.50 GBP",
			},
		},
		{
			name:      "zero amount",
			tx:        txn("t21", revolut.TypeCardPayment, leg("acc-gbp", "0.00", "GBP")),
			wantKinds: []string{KindZeroAmount},
		},
		{
			name:      "pending is reported only",
			tx:        with(txn("p1", revolut.TypeCardPayment, leg("acc-gbp", "-5.00", "GBP")), func(tx *revolut.Transaction) { tx.State = revolut.TransactionPending; tx.CompletedAt = revolut.Time{} }),
			wantKinds: []string{KindNotBookedPending},
		},
		{
			name:      "created is reported only",
			tx:        with(txn("p2", revolut.TypeTransfer, leg("acc-gbp", "-5.00", "GBP")), func(tx *revolut.Transaction) { tx.State = revolut.TransactionCreated }),
			wantKinds: []string{KindNotBookedCreated},
		},
		{
			name: "declined is reported with its reason",
			tx: with(txn("p3", revolut.TypeCardPayment, leg("acc-gbp", "-5.00", "GBP")), func(tx *revolut.Transaction) {
				tx.State, tx.ReasonCode = revolut.TransactionDeclined, "insufficient_balance"
			}),
			wantKinds: []string{KindNotBookedDeclined},
		},
		{
			name:      "failed is reported only",
			tx:        with(txn("p4", revolut.TypeTransfer, leg("acc-gbp", "-5.00", "GBP")), func(tx *revolut.Transaction) { tx.State = revolut.TransactionFailed }),
			wantKinds: []string{KindNotBookedFailed},
		},
		{
			name: "reverted before completion is reported only",
			tx: with(txn("p5", revolut.TypeCardPayment, leg("acc-gbp", "-5.00", "GBP")), func(tx *revolut.Transaction) {
				tx.State, tx.CompletedAt = revolut.TransactionReverted, revolut.Time{}
			}),
			wantKinds: []string{KindNotBookedReverted},
		},
		{
			name:      "unknown state",
			tx:        with(txn("p6", revolut.TypeCardPayment, leg("acc-gbp", "-5.00", "GBP")), func(tx *revolut.Transaction) { tx.State = "frozen" }),
			wantKinds: []string{KindUnknownState},
		},
		{
			name:      "no legs",
			tx:        txn("p7", revolut.TypeCardPayment),
			wantKinds: []string{KindInvalidTx},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := b.BookTransaction(tt.tx, tt.expenses)
			checkBooking(t, got, tt.wantBooked, tt.wantLines, tt.wantKinds)
			for _, e := range got.Exceptions {
				if e.SourceType != SourceTransaction || e.SourceID != tt.tx.ID {
					t.Errorf("exception %s names %s/%s, want transaction/%s", e.Kind, e.SourceType, e.SourceID, tt.tx.ID)
				}
			}
			// Same input, same output: what lets the warehouse upsert by key.
			if again := b.BookTransaction(tt.tx, tt.expenses); !reflect.DeepEqual(again, got) {
				t.Error("booking the same transaction twice gave different results")
			}
		})
	}
}

func TestBookTransactionReverted(t *testing.T) {
	t.Parallel()
	b := newTestBooker(t)
	tx := txn("r1", revolut.TypeCardPayment, leg("acc-gbp", "-24.38", "GBP"))
	tx.State = revolut.TransactionReverted
	tx.CompletedAt = ts("2024-03-12T02:13:36.836Z")
	tx.UpdatedAt = ts("2024-04-02T10:00:00Z")
	ex := expense("e-r1", "r1", revolut.ExpenseApproved, "24.38", "GBP",
		split("24.38", "GBP", "c", "Printing", "461", "tr-vat", "20"))
	got := b.BookTransaction(tx, []revolut.Expense{ex})
	// 24.38×20/120 = 4.0633 → 4.06, net 20.32; the reversal flips every sign.
	checkBooking(t, got, true, []string{
		"txn:r1 0/bank 1200 -24.38 GBP",
		"txn:r1 0/net 461 20.32 GBP [gross 24.38 = net 20.32 + tax 4.06 @20%]",
		"txn:r1 0/vat 2201 4.06 GBP [gross 24.38 = net 20.32 + tax 4.06 @20%]",
		"txn:r1:reversal 0/bank:reversal 1200 24.38 GBP",
		"txn:r1:reversal 0/net:reversal 461 -20.32 GBP [gross -24.38 = net -20.32 + tax -4.06 @20%]",
		"txn:r1:reversal 0/vat:reversal 2201 -4.06 GBP [gross -24.38 = net -20.32 + tax -4.06 @20%]",
	}, []string{KindReversed})
	orig, rev := got.Lines[0], got.Lines[3]
	if orig.Period != "2024-03" || !orig.BookingDate.Equal(time.Date(2024, 3, 12, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("original dated %v period %s, want 2024-03-12 / 2024-03", orig.BookingDate, orig.Period)
	}
	if rev.Period != "2024-04" || !rev.BookingDate.Equal(time.Date(2024, 4, 2, 0, 0, 0, 0, time.UTC)) ||
		!rev.OccurredAt.Equal(tx.UpdatedAt.Time) {
		t.Errorf("reversal dated %v (occurred %v) period %s, want 2024-04-02 from updated_at", rev.BookingDate, rev.OccurredAt, rev.Period)
	}
	if got.Exceptions[0].EntryID != "txn:r1:reversal" || got.Exceptions[0].Period != "2024-04" {
		t.Errorf("reversal exception: %+v", got.Exceptions[0])
	}
}

// TestBookTransactionProvenance checks every field a line must carry, on the spec's example
// card payment with its expense, in a time zone where the booking date differs from the UTC date.
func TestBookTransactionProvenance(t *testing.T) {
	t.Parallel()
	s := testSettings()
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	s.Location = london
	b, err := NewBooker(s)
	if err != nil {
		t.Fatal(err)
	}
	tx := txn("t1", revolut.TypeCardPayment, with(leg("acc-gbp", "-24.38", "GBP"), func(l *revolut.Leg) {
		l.Balance = ndec("975.62")
		l.Description = "Best Printers"
	}))
	tx.CompletedAt = ts("2024-09-30T23:30:00.123Z") // 00:30 on 1 October in London (BST)
	tx.Reference = "INV-42"
	tx.RelatedTransactionID = "t0"
	tx.Merchant = &revolut.Merchant{Name: "Best Printers Company", City: "London"}
	tx.Card = &revolut.TransactionCard{ID: "card-1", CardNumber: "516760******1234", FirstName: "John", LastName: "Smith",
		References: []revolut.CardReference{{Name: "PNR", Value: "RT12345"}}}
	ex := expense("e1", "t1", revolut.ExpenseApproved, "24.38", "GBP",
		split("15.39", "GBP", "cat-print", "Printing & Stationery", "461", "tr-vat", "20"),
		split("8.99", "GBP", "cat-groc", "Groceries", "555", "tr-zero", "0"))
	ex.Description = "Printer paper"
	ex.Labels = map[string][]string{"Department": {"HR"}, "Office supplies": {"photocopying"}, "Empty": {}}

	got := b.BookTransaction(tx, []revolut.Expense{ex})
	if len(got.Lines) != 4 {
		t.Fatalf("got %d lines, want 4", len(got.Lines))
	}
	checkInvariants(t, got)
	wantDate := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	for _, l := range got.Lines {
		if !l.BookingDate.Equal(wantDate) || l.Period != "2024-10" || !l.OccurredAt.Equal(tx.CompletedAt.Time) {
			t.Errorf("%s: booking date %v period %s occurred %v, want 2024-10-01 (London) and the UTC instant",
				l.Key, l.BookingDate, l.Period, l.OccurredAt)
		}
		if l.TransactionID != "t1" || l.TransactionType != "card_payment" || l.TransactionState != "completed" ||
			l.Reference != "INV-42" || l.RelatedTransactionID != "t0" || l.Merchant != "Best Printers Company" ||
			l.CardID != "card-1" || l.CardLastDigits != "1234" || l.CardHolder != "John Smith" ||
			!reflect.DeepEqual(l.CardReferences, []CardReference{{Name: "PNR", Value: "RT12345"}}) ||
			l.Version != 1 || l.EntryID != "txn:t1" || l.Key.SourceType != SourceTransaction || l.Key.SourceID != "t1" {
			t.Errorf("%s: transaction provenance wrong: %+v", l.Key, l)
		}
	}
	bank, net, vat, groc := got.Lines[0], got.Lines[1], got.Lines[2], got.Lines[3]
	if bank.Key.String() != "transaction/t1/0/bank" || bank.AccountName != "Revolut Main GBP" ||
		bank.RevolutAccountID != "acc-gbp" || !bank.BankBalance.Valid || !bank.BankBalance.Decimal.Equal(dec("975.62")) ||
		bank.Description != "Best Printers" || bank.Counterparty != "Best Printers Company" || bank.Gross.Valid ||
		bank.ExpenseID != "e1" || !reflect.DeepEqual(bank.ReceiptIDs, []string{"rcpt-e1"}) || bank.Labels != nil {
		t.Errorf("bank line: %+v", bank)
	}
	wantLabels := map[string]string{"Department": "HR", "Office supplies": "photocopying"}
	for _, l := range []Line{net, vat, groc} {
		if l.ExpenseID != "e1" || l.ExpenseState != "approved" || !reflect.DeepEqual(l.ReceiptIDs, []string{"rcpt-e1"}) ||
			!reflect.DeepEqual(l.Labels, wantLabels) || l.Description != "Printer paper" || l.BankBalance.Valid {
			t.Errorf("%s: expense provenance wrong: %+v", l.Key, l)
		}
	}
	if net.CategoryID != "cat-print" || net.CategoryCode != "461" || net.CategoryName != "Printing & Stationery" ||
		net.AccountName != "Printing & Stationery" || net.TaxRateID != "tr-vat" || !net.TaxRatePercent.Decimal.Equal(dec("20")) {
		t.Errorf("net line: %+v", net)
	}
	if vat.AccountName != "Input VAT" || vat.CategoryCode != "461" {
		t.Errorf("VAT line: %+v", vat)
	}
	if groc.AccountCode != "5010" || groc.AccountName != "Staff welfare" || groc.CategoryCode != "555" {
		t.Errorf("override line: %+v", groc)
	}
}

func TestBookExpense(t *testing.T) {
	t.Parallel()
	b := newTestBooker(t)
	external := func(id, state, spent, cur string, splits ...revolut.Split) revolut.Expense {
		x := expense(id, "", state, spent, cur, splits...)
		x.TransactionType = revolut.ExpenseTypeExternal
		x.Payer = "Ray Trenfield"
		return x
	}
	tests := []struct {
		name       string
		x          revolut.Expense
		wantBooked bool
		wantLines  []string
		wantKinds  []string
	}{
		{
			// 60.00×20/120 = 10.00, net 50.00; the employee is owed 60.00.
			name:       "external reimbursement",
			x:          external("x1", revolut.ExpenseApproved, "60.00", "GBP", split("60.00", "GBP", "cat-travel", "Travel", "493", "tr-std", "20")),
			wantBooked: true,
			wantLines: []string{
				"exp:x1 0/net 493 50.00 GBP [gross 60.00 = net 50.00 + tax 10.00 @20%]",
				"exp:x1 0/vat 2201 10.00 GBP [gross 60.00 = net 50.00 + tax 10.00 @20%]",
				"exp:x1 0/reimbursement 2250 -60.00 GBP",
			},
		},
		{
			// The spec's mileage example, approved: its category has no code → suspense;
			// 25.99×20/120 = 4.3317 → 4.33, net 21.66.
			name: "mileage without category code",
			x: with(external("x2", revolut.ExpensePendingReimbursement, "25.99", "EUR",
				split("25.99", "EUR", "dab86546", "Vehicle Operating Expenses", "", "728980d1", "20")),
				func(x *revolut.Expense) { x.TransactionType = revolut.ExpenseTypeMileage }),
			wantBooked: true,
			wantLines: []string{
				// 20% on a EUR expense is foreign VAT (vat.go): the whole 25.99 on suspense.
				"exp:x2 0/net 9999 25.99 EUR [gross 25.99 = net 25.99 + tax 0.00 @20%]",
				"exp:x2 0/reimbursement 2250 -25.99 EUR",
			},
			wantKinds: []string{KindMissingCategory},
		},
		{
			// 50.00 GBP over USD 30.00 and 33.00 (63.00): 23.8095 (rem .95) and 26.1905 (rem .05);
			// floors 23.80 + 26.19 = 49.99, the residue to the first → 23.81 and 26.19.
			// VAT in 26.19 at 20%: 26.19/6 = 4.365 exactly → 4.37 (half away), net 21.82.
			name: "reimbursement with splits in another currency",
			x: external("x3", revolut.ExpenseApproved, "50.00", "GBP",
				split("30.00", "USD", "c1", "Printing", "461", "z", "0"),
				split("33.00", "USD", "c2", "Advertising", "400", "v", "20")),
			wantBooked: true,
			wantLines: []string{
				"exp:x3 0/net 461 23.81 GBP orig 30.00 USD [gross 23.81 = net 23.81 + tax 0.00 @0%]",
				// 20% on a USD expense is foreign VAT (vat.go): the whole 26.19 on 400.
				"exp:x3 1/net 400 26.19 GBP orig 33.00 USD [gross 26.19 = net 26.19 + tax 0.00 @20%]",
				"exp:x3 0/reimbursement 2250 -50.00 GBP",
			},
		},
		{
			// The employee claims 40.00 but the splits explain 35.00: 5.00 on suspense.
			name: "reimbursement splits short of the spent amount",
			x: external("x4", revolut.ExpenseApproved, "40.00", "GBP",
				split("35.00", "GBP", "c1", "Printing", "461", "z", "0")),
			wantBooked: true,
			wantLines: []string{
				"exp:x4 0/split_difference 9999 5.00 GBP",
				"exp:x4 0/net 461 35.00 GBP [gross 35.00 = net 35.00 + tax 0.00 @0%]",
				"exp:x4 0/reimbursement 2250 -40.00 GBP",
			},
			wantKinds: []string{KindSpentMismatch, KindSplitsMismatch},
		},
		{
			name:      "awaiting review is not booked",
			x:         external("x5", revolut.ExpenseAwaitingReview, "10.00", "GBP", split("10.00", "GBP", "c", "P", "461", "z", "0")),
			wantKinds: []string{KindExpenseNotBooked},
		},
		{
			name:      "rejected is not booked",
			x:         external("x6", revolut.ExpenseRejected, "10.00", "GBP", split("10.00", "GBP", "c", "P", "461", "z", "0")),
			wantKinds: []string{KindExpenseNotBooked},
		},
		{
			name:      "card expense without transaction is not booked",
			x:         expense("x7", "", revolut.ExpenseApproved, "10.00", "GBP", split("10.00", "GBP", "c", "P", "461", "z", "0")),
			wantKinds: []string{KindExpenseNotBooked},
		},
		{
			name:      "expense of an unknown transaction is an orphan",
			x:         expense("x8", "t-unknown", revolut.ExpenseApproved, "10.00", "GBP", split("10.00", "GBP", "c", "P", "461", "z", "0")),
			wantKinds: []string{KindOrphanExpense},
		},
		{
			name:      "no splits",
			x:         external("x9", revolut.ExpenseApproved, "10.00", "GBP"),
			wantKinds: []string{KindExpenseNotBooked},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := b.BookExpense(tt.x)
			checkBooking(t, got, tt.wantBooked, tt.wantLines, tt.wantKinds)
			for _, l := range got.Lines {
				if l.Key.SourceType != SourceExpense || l.Key.SourceID != tt.x.ID || l.ExpenseID != tt.x.ID ||
					l.Period != "2024-09" || l.TransactionID != "" {
					t.Errorf("%s: provenance %+v", l.Key, l)
				}
			}
			for _, e := range got.Exceptions {
				if e.SourceType != SourceExpense || e.SourceID != tt.x.ID {
					t.Errorf("exception %s names %s/%s", e.Kind, e.SourceType, e.SourceID)
				}
			}
		})
	}
}

func TestOrphanExpense(t *testing.T) {
	t.Parallel()
	b := newTestBooker(t)
	got := b.OrphanExpense(expense("x1", "t-gone", revolut.ExpenseApproved, "1.00", "GBP"))
	if got.Booked || len(got.Lines) != 0 || len(got.Exceptions) != 1 || got.Exceptions[0].Kind != KindOrphanExpense ||
		!strings.Contains(got.Exceptions[0].Reason, "t-gone") {
		t.Fatalf("OrphanExpense = %+v", got)
	}
}

func TestNewBookerRejectsInvalidChart(t *testing.T) {
	t.Parallel()
	s := testSettings()
	s.Chart.Suspense = ""
	if _, err := NewBooker(s); err == nil || !strings.Contains(err.Error(), "suspense: account code is empty") {
		t.Fatalf("NewBooker with an empty suspense code: err = %v", err)
	}
}

func BenchmarkBookTransaction(b *testing.B) {
	bk := newTestBooker(b)
	tx := txn("t3", revolut.TypeCardPayment, with(leg("acc-gbp", "-20.00", "GBP"), func(l *revolut.Leg) {
		l.BillAmount, l.BillCurrency, l.Fee = ndec("-23.50"), "EUR", ndec("0.25")
	}))
	tx.Card = &revolut.TransactionCard{ID: "card", CardNumber: "516760******1234", FirstName: "A", LastName: "B"}
	xs := []revolut.Expense{expense("e3", "t3", revolut.ExpenseApproved, "23.50", "EUR",
		split("15.00", "EUR", "cat-adv", "Advertising", "400", "tr-vat", "20"),
		split("5.00", "EUR", "cat-gen", "General Expenses", "429", "tr-zero", "0"),
		split("3.50", "EUR", "cat-travel", "Travel", "", "tr-std", ""))}
	b.ReportAllocs()
	for b.Loop() {
		if got := bk.BookTransaction(tx, xs); !got.Booked {
			b.Fatal("not booked")
		}
	}
}

// TestCounterpartyNames checks who a transfer's lines name: the counterparty by name from the
// settings, the business's own account for a transfer between its accounts, and the id when
// nothing better is known.
func TestCounterpartyNames(t *testing.T) {
	t.Parallel()
	s := testSettings()
	s.Counterparties = []revolut.Counterparty{{ID: "cp-1", Name: "Ray Trenfield"}}
	b, err := NewBooker(s)
	if err != nil {
		t.Fatal(err)
	}
	withCP := func(id, accountID, kind string) revolut.Leg {
		l := leg("acc-gbp", "-100.00", "GBP")
		l.Counterparty = &revolut.LegCounterparty{ID: id, AccountID: accountID, AccountType: kind}
		return l
	}
	cases := []struct {
		name string
		leg  revolut.Leg
		want string
	}{
		{"named counterparty", withCP("cp-1", "cpa-1", "external"), "Ray Trenfield"},
		{"own account", withCP("", "acc-gbp2", "self"), "Savings"},
		{"unknown counterparty", withCP("cp-9", "cpa-9", "external"), "cp-9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bk := b.BookTransaction(txn("t-cp", revolut.TypeTransfer, tc.leg), nil)
			if len(bk.Lines) == 0 {
				t.Fatal("nothing booked")
			}
			for _, l := range bk.Lines {
				if l.Counterparty != tc.want {
					t.Errorf("line %s: counterparty %q, want %q", l.Key, l.Counterparty, tc.want)
				}
			}
		})
	}
}
