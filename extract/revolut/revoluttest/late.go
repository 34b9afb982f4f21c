package revoluttest

import (
	"container/heap"
	"fmt"
)

// Changes a test makes happen at a moment of its choosing, for records that change after a
// client's windows have moved past them (a payment pending for weeks, an old expense
// recategorised).

// HoldTransaction cancels the scripted changes of transaction id (completion, decline,
// failure, reversal): it stays as it is until CompleteTransaction changes it.
func (s *Server) HoldTransaction(id string) error {
	return s.onTransaction(id, func(i int32) error {
		kept := s.events[:0]
		for _, e := range s.events {
			if e.idx == i && e.kind <= evTxRevert {
				continue
			}
			kept = append(kept, e)
		}
		s.events = kept
		if s.heapMode {
			heap.Init(&s.events)
		}
		return nil
	})
}

// CompleteTransaction completes a created or pending transaction now, by the fake's clock,
// as its scripted completion would: completed_at and updated_at are now, the accounts'
// balances move, and its expense is dated now.
func (s *Server) CompleteTransaction(id string) error {
	return s.onTransaction(id, func(i int32) error {
		if st := s.txs[i].state; st != sPending && st != sCreated {
			return fmt.Errorf("revoluttest: transaction %s is not created or pending", id)
		}
		s.apply(event{kind: evTxComplete, idx: i, at: nanos(s.now())})
		return nil
	})
}

// RecategoriseExpense moves every split of expense id to the accounting category categoryID,
// as a person editing the expense in the web app would; the expense keeps its date.
func (s *Server) RecategoriseExpense(id, categoryID string) error {
	return s.onExpense(id, func(ei int32) error {
		for ci, c := range s.w.categories {
			if c.id.String() == categoryID {
				x := &s.expenses[ei]
				for k := range x.splits {
					x.splits[k].cat = uint8(ci)
				}
				return nil
			}
		}
		return fmt.Errorf("revoluttest: no accounting category %s", categoryID)
	})
}

// onTransaction runs change on transaction id (its index), under the fake's lock and with the
// fake caught up to its clock, as every hook that changes a past transaction does.
func (s *Server) onTransaction(id string, change func(i int32) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.catchUp()
	i, err := s.txIndex(id)
	if err != nil {
		return err
	}
	return change(i)
}

// onExpense runs change on expense id (its index), as onTransaction does for transactions.
func (s *Server) onExpense(id string, change func(ei int32) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.catchUp()
	ei, err := s.expenseIndex(id)
	if err != nil {
		return err
	}
	return change(ei)
}

// expenseIndex finds expense id among the fake's expenses (under s.mu).
func (s *Server) expenseIndex(id string) (int32, error) {
	u, ok := parseUUID(id)
	if !ok {
		return 0, fmt.Errorf("revoluttest: %q is not an expense id", id)
	}
	if i, ok := s.expByID[u]; ok {
		return i, nil
	}
	return 0, fmt.Errorf("revoluttest: no expense %s", id)
}

// txIndex finds transaction id among the fake's transactions (under s.mu).
func (s *Server) txIndex(id string) (int32, error) {
	if u, ok := parseUUID(id); ok {
		if i, ok := s.txByID[u]; ok {
			return i, nil
		}
	}
	return 0, fmt.Errorf("revoluttest: no transaction %s", id)
}
