package revoluttest

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// More changes to records a client has already booked (see mutate.go), for the five ways a
// closed month's records change after export (pipeline/close_five_test.go): an amount that
// changes, a tax rate edited in the settings, a completed payment later declined or failed,
// an approved expense sent back to missing_info.

// ChangeAmount gives the single leg of completed transaction id the signed amount amount (in
// the account's currency, exact in its minor units), now by the fake's clock, as when a card
// payment settles for another amount than it completed with. Everything that follows from the
// leg moves with it, so the records stay consistent with each other: the account's balance and
// the leg's balance after it move by the difference (later legs keep the balances Revolut
// served with them), a bill amount in another currency is scaled in proportion, updated_at is
// now, and the transaction's expense has its spent amount and splits scaled in proportion (the
// last split takes the rounding, so the splits still add up to the spent amount).
func (s *Server) ChangeAmount(id string, amount decimal.Decimal) error {
	return s.onTransaction(id, func(i int32) error {
		t := &s.txs[i]
		if t.state != sCompleted || len(t.legs) != 1 {
			return fmt.Errorf("revoluttest: transaction %s is not a completed single-leg transaction", id)
		}
		l := &t.legs[0]
		acc := &s.w.accounts[l.account]
		exp := currencies[acc.cur].exp
		minor := amount.Shift(exp)
		if !minor.IsInteger() || amount.IsZero() || amount.Sign() != sign(l.amount) {
			return fmt.Errorf("revoluttest: %s is not a non-zero %s amount of the leg's sign", amount, currencies[acc.cur].code)
		}
		old, now := l.amount, nanos(s.now())
		n := minor.IntPart()
		delta := n - old
		l.amount = n
		if l.billCur >= 0 {
			l.bill = scaleMinor(l.bill, n, old)
		}
		acc.balance += delta
		acc.updated = now
		if l.hasBalance {
			l.balance += delta
		}
		t.updated = now
		if t.expense >= 0 {
			x := &s.expenses[t.expense]
			spent := scaleMinor(x.spent, n, old)
			left := spent
			for k := range x.splits {
				sp := &x.splits[k]
				if k == len(x.splits)-1 && sp.cur == x.spentCur {
					sp.amount = left
					break
				}
				sp.amount = scaleMinor(sp.amount, n, old)
				if sp.cur == x.spentCur {
					left -= sp.amount
				}
			}
			x.spent = spent
			s.expDirty = true
		}
		return nil
	})
}

// scaleMinor returns v × num/den rounded half away from zero, in minor units.
func scaleMinor(v, num, den int64) int64 {
	return decimal.NewFromInt(v).Mul(decimal.NewFromInt(num)).DivRound(decimal.NewFromInt(den), 0).IntPart()
}

func sign(v int64) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

// ChangeTaxRate sets the percentage of tax rate id to percent (decimal text, e.g. "17.5"), as
// an edit in the web app's settings would; updated_at becomes at, or now by the fake's clock
// when at is zero. Revolut serves the change as the rate's updated_at: a client keeping the
// settings' history books a purchase with the rate in force on its tax point, so a change dated
// now leaves past purchases as they were, and one dated before a purchase (a correction of a
// rate that was wrong from then on) changes what it cost. Every split with the rate changes at
// once, as it does in Revolut.
func (s *Server) ChangeTaxRate(id, percent string, at time.Time) error {
	p, err := decimal.NewFromString(percent)
	if err != nil || p.IsNegative() {
		return fmt.Errorf("revoluttest: %q is not a tax percentage", percent)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.catchUp()
	if at.IsZero() {
		at = s.now()
	}
	for k := range s.w.taxRates {
		if tr := &s.w.taxRates[k]; tr.id.String() == id {
			tr.percent, tr.updated = percent, nanos(at)
			s.expDirty = true
			return nil
		}
	}
	return fmt.Errorf("revoluttest: no tax rate %s", id)
}

// DeclineTransaction turns transaction id declined (or failed) now, by the fake's clock, even
// after it completed, as a card scheme's late decline does: a completed transaction's legs are
// taken back from the accounts' balances, completed_at is kept, updated_at is now, and its
// expense is reverted (as the scripted declines do).
func (s *Server) DeclineTransaction(id string, failed bool) error {
	return s.onTransaction(id, func(i int32) error {
		t := &s.txs[i]
		if t.state != sCompleted && t.state != sPending && t.state != sCreated {
			return fmt.Errorf("revoluttest: transaction %s cannot be declined in its state", id)
		}
		now := nanos(s.now())
		if t.state == sCompleted {
			for li := range t.legs {
				l := &t.legs[li]
				acc := &s.w.accounts[l.account]
				acc.balance -= l.net()
				acc.updated = now
			}
		}
		t.state, t.reason, t.updated = sDeclined, 2, now // do_not_honour
		if failed {
			t.state = sFailed
		}
		s.revertExpense(t.expense)
		s.expDirty = true
		return nil
	})
}

// ReopenExpense sends approved expense id back to missing_info, as an approver reopening it
// does: it has no completion any more and its splits are no longer approved.
func (s *Server) ReopenExpense(id string) error {
	return s.onExpense(id, func(ei int32) error {
		x := &s.expenses[ei]
		if x.state != eApproved {
			return fmt.Errorf("revoluttest: expense %s is not approved", id)
		}
		x.state, x.completed = eMissingInfo, 0
		s.expDirty = true
		return nil
	})
}

// RevertTransactionWithoutCompletedAt reverts transaction id as RevertTransaction does and
// then serves it without completed_at, as Revolut serves some reversals: a client that booked
// it when it completed sees a reverted transaction that, by its record, never completed.
func (s *Server) RevertTransactionWithoutCompletedAt(id string) error {
	if err := s.RevertTransaction(id); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i, err := s.txIndex(id)
	if err != nil {
		return err
	}
	s.txs[i].completed = 0
	return nil
}
