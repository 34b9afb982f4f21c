package revoluttest

import "fmt"

// Changes to records a client has already booked, made at a moment of the test's choosing:
// what happens to a past month after it was exported and closed (see pipeline/close_test.go).

// RevertTransaction reverts transaction id now, by the fake's clock, as a merchant's reversal
// would: a completed transaction's legs are taken back from the accounts' balances, updated_at
// is now, completed_at is kept, and its expense is reverted too (as Revolut does).
func (s *Server) RevertTransaction(id string) error {
	return s.onTransaction(id, func(i int32) error {
		if st := s.txs[i].state; st != sCompleted && st != sPending && st != sCreated {
			return fmt.Errorf("revoluttest: transaction %s cannot be reverted in its state", id)
		}
		s.apply(event{kind: evTxRevert, idx: i, at: nanos(s.now())})
		s.expDirty = true
		return nil
	})
}

// RejectExpense rejects expense id, as an approver would after it was approved.
func (s *Server) RejectExpense(id string) error {
	return s.onExpense(id, func(ei int32) error {
		s.expenses[ei].state = eRejected
		s.expDirty = true
		return nil
	})
}
