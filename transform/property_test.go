package transform

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/revolut"
)

var (
	genCurrencies = []string{"GBP", "EUR", "USD", "JPY", "BHD"}
	genAccounts   = map[string]string{"GBP": "acc-gbp", "EUR": "acc-eur", "USD": "acc-usd", "JPY": "acc-jpy", "BHD": "acc-bhd"}
	genTypes      = []string{
		revolut.TypeCardPayment, revolut.TypeCardPayment, revolut.TypeCardRefund, revolut.TypeTransfer,
		revolut.TypeExchange, revolut.TypeTopup, revolut.TypeFee, revolut.TypeTax, revolut.TypeATM, "mystery",
	}
	genStates = []string{
		revolut.TransactionCompleted, revolut.TransactionCompleted, revolut.TransactionCompleted,
		revolut.TransactionReverted, revolut.TransactionPending, revolut.TransactionDeclined, "weird",
	}
	genExpenseStates = []string{
		revolut.ExpenseApproved, revolut.ExpenseApproved, revolut.ExpenseAwaitingReview,
		revolut.ExpenseMissingInfo, revolut.ExpenseRejected, revolut.ExpensePendingReimbursement,
	}
)

// money returns a random amount in currency: minor units up to max, sometimes with one
// decimal too many (bad data the booker must round and report).
func genMoney(r *rand.Rand, cur string, max int64) decimal.Decimal {
	places := MinorUnits(cur)
	if r.IntN(50) == 0 {
		places++
	}
	return decimal.New(r.Int64N(max)+1, -places)
}

func genTransaction(r *rand.Rand, id string) (revolut.Transaction, []revolut.Expense) {
	tx := txn(id, genTypes[r.IntN(len(genTypes))])
	tx.State = genStates[r.IntN(len(genStates))]
	if tx.State == revolut.TransactionPending {
		tx.CompletedAt = revolut.Time{}
	}
	nLegs := 1
	if r.IntN(5) == 0 {
		nLegs = 2
	}
	for range nLegs {
		cur := genCurrencies[r.IntN(len(genCurrencies))]
		l := leg(genAccounts[cur], "0", cur)
		l.Amount = genMoney(r, cur, 1_000_000)
		if r.IntN(2) == 0 {
			l.Amount = l.Amount.Neg()
		}
		if r.IntN(20) == 0 {
			l.Amount = decimal.Zero
		}
		if r.IntN(4) == 0 {
			l.Fee = decimal.NewNullDecimal(genMoney(r, cur, 500))
		}
		if r.IntN(4) == 0 {
			bc := genCurrencies[r.IntN(len(genCurrencies))]
			l.BillAmount, l.BillCurrency = decimal.NewNullDecimal(genMoney(r, bc, 1_000_000).Neg()), bc
		}
		l.Balance = decimal.NewNullDecimal(genMoney(r, cur, 10_000_000))
		tx.Legs = append(tx.Legs, l)
	}
	var xs []revolut.Expense
	for e := range r.IntN(3) {
		cur := tx.Legs[0].Currency
		if r.IntN(3) == 0 {
			cur = genCurrencies[r.IntN(len(genCurrencies))]
		}
		x := expense(fmt.Sprintf("%s-x%d", id, e), id, genExpenseStates[r.IntN(len(genExpenseStates))], "0", cur)
		if r.IntN(15) == 0 {
			x.TransactionID = "someone-else"
		}
		total := decimal.Zero
		for s := range r.IntN(5) {
			sc := cur
			if r.IntN(10) == 0 {
				sc = genCurrencies[r.IntN(len(genCurrencies))]
			}
			amt := genMoney(r, sc, 300_000)
			if r.IntN(10) == 0 {
				amt = amt.Neg()
			}
			code := fmt.Sprintf("4%02d", r.IntN(100))
			if r.IntN(8) == 0 {
				code = ""
			}
			sp := split(amt.String(), sc, fmt.Sprintf("cat-%d", s), "Category", code, "tr-std", "")
			switch r.IntN(5) {
			case 0: // percentage from the settings
			case 1:
				sp.TaxRate.ID = "tr-nopct" // unknown percentage
			default:
				sp.TaxRate.Percentage = decimal.NewNullDecimal(decimal.New(r.Int64N(2501), -2))
			}
			x.Splits = append(x.Splits, sp)
			if sc == cur {
				total = total.Add(amt)
			}
		}
		x.SpentAmount.Amount = total
		if r.IntN(10) == 0 {
			x.SpentAmount.Amount = total.Add(decimal.NewFromInt(1))
		}
		xs = append(xs, x)
	}
	return tx, xs
}

// checkTransactionBooking asserts what holds for any booked transaction, beyond checkInvariants:
// the bank lines of each leg carry exactly the leg's amount less its fee, so the books tie to
// the bank; a reversal mirrors the original; not-booked records have exceptions and no lines.
func checkTransactionBooking(t testing.TB, b *Booker, tx revolut.Transaction, xs []revolut.Expense) {
	t.Helper()
	bk := b.BookTransaction(tx, xs)
	checkInvariants(t, bk)
	if again := b.BookTransaction(tx, xs); !reflect.DeepEqual(again, bk) {
		t.Fatalf("transaction %s: booking twice gave different results", tx.ID)
	}
	if !bk.Booked {
		if len(bk.Exceptions) == 0 {
			t.Fatalf("transaction %s (%s) not booked and nothing reported", tx.ID, tx.State)
		}
		if tx.State == revolut.TransactionCompleted {
			for _, l := range tx.Legs {
				if !Round(l.Amount, l.Currency).IsZero() || (l.Fee.Valid && !Round(l.Fee.Decimal, l.Currency).IsZero()) {
					t.Fatalf("completed transaction %s with amounts not booked: %v", tx.ID, kinds(bk.Exceptions))
				}
			}
		}
		return
	}
	if tx.State != revolut.TransactionCompleted && tx.State != revolut.TransactionReverted {
		t.Fatalf("transaction %s in state %s was booked", tx.ID, tx.State)
	}
	bank := map[int]decimal.Decimal{}
	var orig, rev int
	for _, l := range bk.Lines {
		if strings.HasSuffix(l.EntryID, ReversalSuffix) {
			rev++
			continue
		}
		orig++
		if l.Key.Role == RoleBank || l.Key.Role == RoleFeeBank {
			bank[l.Key.Index] = bank[l.Key.Index].Add(l.Amount)
		}
	}
	for i, l := range tx.Legs {
		want := Round(l.Amount, l.Currency)
		if l.Fee.Valid {
			want = want.Sub(Round(l.Fee.Decimal, l.Currency))
		}
		if !bank[i].Equal(want) {
			t.Fatalf("transaction %s leg %d: bank lines sum to %s, want amount − fee = %s", tx.ID, i, bank[i], want)
		}
	}
	if tx.State == revolut.TransactionReverted && rev != orig {
		t.Fatalf("reverted transaction %s: %d original lines, %d reversing lines", tx.ID, orig, rev)
	}
	if tx.State == revolut.TransactionCompleted && rev != 0 {
		t.Fatalf("completed transaction %s has reversing lines", tx.ID)
	}
}

// TestBookTransactionProperties books seeded random transactions and expenses (fixed seed, so
// a failure reproduces) and checks the invariants on every one: entries balance per currency,
// net + tax = gross on every split line, bank lines tie to the legs, nothing is silent.
func TestBookTransactionProperties(t *testing.T) {
	t.Parallel()
	b := newTestBooker(t)
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 5000 {
		tx, xs := genTransaction(r, fmt.Sprintf("t%d", i))
		checkTransactionBooking(t, b, tx, xs)
	}
}

func TestBookExpenseProperties(t *testing.T) {
	t.Parallel()
	b := newTestBooker(t)
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 3000 {
		_, xs := genTransaction(r, fmt.Sprintf("x%d", i))
		for _, x := range xs {
			x.TransactionID = ""
			x.TransactionType = revolut.ExpenseTypeExternal
			bk := b.BookExpense(x)
			checkInvariants(t, bk)
			if !bk.Booked && len(bk.Exceptions) == 0 {
				t.Fatalf("expense %s not booked and nothing reported", x.ID)
			}
			for _, l := range bk.Lines {
				if l.Key.Role == RoleReimbursement && !l.Amount.Equal(Round(x.SpentAmount.Amount, x.SpentAmount.Currency).Neg()) {
					t.Fatalf("expense %s: reimbursement %s, want −spent %s", x.ID, l.Amount, x.SpentAmount.Amount)
				}
			}
		}
	}
}

// FuzzBookTransaction drives the generator from a fuzzed seed and lets the fuzzer choose the
// first leg's amount and fee and the first two split amounts directly.
func FuzzBookTransaction(f *testing.F) {
	f.Add(uint64(1), int64(-2438), int64(0), int64(1539), int64(899))
	f.Add(uint64(2), int64(1539), int64(66), int64(-1539), int64(0))
	f.Add(uint64(3), int64(-1000), int64(1), int64(1), int64(1))
	b := newTestBooker(f)
	f.Fuzz(func(t *testing.T, seed uint64, legMinor, feeMinor, split1, split2 int64) {
		const limit = 1 << 50
		for _, v := range []int64{legMinor, feeMinor, split1, split2} {
			if v > limit || v < -limit {
				t.Skip()
			}
		}
		r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		tx, xs := genTransaction(r, "fz")
		l := &tx.Legs[0]
		places := MinorUnits(l.Currency)
		l.Amount = decimal.New(legMinor, -places)
		if feeMinor != 0 {
			l.Fee = decimal.NewNullDecimal(decimal.New(feeMinor, -places))
		}
		if len(xs) > 0 {
			for i, v := range []int64{split1, split2} {
				if i < len(xs[0].Splits) {
					s := &xs[0].Splits[i]
					s.Amount.Amount = decimal.New(v, -MinorUnits(s.Amount.Currency))
				}
			}
		}
		checkTransactionBooking(t, b, tx, xs)
	})
}
