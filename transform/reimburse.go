package transform

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/revolut"
)

// reimbursementDate is when an out-of-pocket or mileage expense becomes the business's
// debt: its completed_at (approval, or payment once reimbursed), else its submission, else
// the date the employee typed in. expense_date is user-entered and can be months old, which
// would book the debt into a period that may already be closed.
func reimbursementDate(x revolut.Expense) time.Time {
	for _, t := range []revolut.Time{x.CompletedAt, x.SubmittedAt, x.ExpenseDate} {
		if !t.IsZero() {
			return t.Time
		}
	}
	return time.Time{}
}

// partialSplits allocates target over the splits of a single expense kept in another
// currency than the bank's when the splits do not add up to its spent amount: each split
// carries target × split / spent_amount, rounded half away from zero to the bank currency's
// minor units, and what is left (the part nobody split, plus the rounding residue) goes to
// suspense with an exception. Spreading the whole bank amount over partial splits would
// inflate every category.
//
// It returns nil, nil when the rule does not apply (several expenses, splits in several
// currencies or another currency than spent_amount, splits that do add up), and the
// caller then allocates target over the splits' face amounts.
func (e *entry) partialSplits(target decimal.Decimal, cur string, xs []revolut.Expense, descFallback string) ([]decimal.Decimal, error) {
	if len(xs) != 1 {
		return nil, nil
	}
	x := xs[0]
	sc := strings.ToUpper(x.SpentAmount.Currency)
	spent := x.SpentAmount.Amount
	if sc == "" || sc == cur || spent.IsZero() {
		return nil, nil
	}
	sum := decimal.Zero
	for _, s := range x.Splits {
		if !strings.EqualFold(s.Amount.Currency, sc) {
			return nil, nil
		}
		sum = sum.Add(s.Amount.Amount)
	}
	if sum.Equal(spent) || sum.Sign() != spent.Sign() {
		return nil, nil
	}
	places := MinorUnits(cur)
	parts := make([]decimal.Decimal, len(x.Splits))
	covered := decimal.Zero
	for i, s := range x.Splits {
		parts[i] = quoRound(target.Mul(s.Amount.Amount), spent, places)
		covered = covered.Add(parts[i])
	}
	b := e.b
	rest := target.Sub(covered)
	if !rest.IsZero() {
		l := e.newLine(0, RoleSplitDifference, b.chart.Suspense, "", rest, cur)
		l.ExpenseID, l.ExpenseState, l.Description = x.ID, x.State, descFallback
		e.add(l)
	}
	e.except(KindSplitsMismatch, fmt.Sprintf("the splits of expense %s add up to %s of its spent amount of %s; each split was booked at its share of the %s paid (%s in all) and the remaining %s went to %s %s",
		x.ID, sum.StringFixed(MinorUnits(sc))+" "+sc, spent.StringFixed(MinorUnits(sc))+" "+sc, e.money(target.Abs(), cur),
		e.money(covered.Abs(), cur), e.money(rest, cur), b.chart.Suspense, b.chart.name(b.chart.Suspense, "")))
	return parts, nil
}
