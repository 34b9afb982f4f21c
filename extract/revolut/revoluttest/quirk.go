package revoluttest

import (
	"encoding/json"
	"math/rand/v2"
	"time"
)

// Quirk describes one deliberate trap record served when Options.Quirks is set. All but one
// are transactions (card payments unless the quirk says otherwise) that carry no balance, so
// they never disturb the running balances of the accounts; the last is an expense.
type Quirk struct {
	// Stream is "transactions" or "expenses".
	Stream string
	// Kind is one of: "unpadded_date" (created_at like "2025-10-6T08:34:18.123Z"),
	// "long_id" (a 37-character id that is not a UUID), "micro_fraction" (6 fractional
	// digits), "no_fraction" (no fractional digits), "unknown_type" (type "card_cashback"),
	// "unknown_state" (state "on_hold"), "malformed" (a leg amount of "abc": cannot be
	// decoded at all), "nul_escape" (a leg description holding the escape \u0000: valid JSON
	// that Go decodes, but that PostgreSQL's jsonb, and text, refuse); and for the expense,
	// "expense_unpadded_date" (an external reimbursement whose expense_date has no zero
	// padding, as in the official example).
	Kind string
	// ID is the id exactly as served.
	ID string
	// Raw is the record exactly as served.
	Raw json.RawMessage
	// Decodable is false only for the malformed record, which is therefore absent from
	// Dataset.Transactions. The others decode; whether a pipeline books or quarantines the
	// unknown type and state is its policy.
	Decodable bool
	// Storable is false for the records a warehouse that keeps raw JSON as PostgreSQL jsonb
	// cannot keep: the malformed one and the NUL escape. A pipeline must quarantine both and
	// go on; Dataset.Transactions still holds the NUL escape, which decodes.
	Storable bool
}

var quirkKinds = []string{"unpadded_date", "long_id", "micro_fraction", "no_fraction", "unknown_type", "unknown_state", "malformed", "nul_escape"}

func quirkOf(t *txn) string {
	if t.quirk == 0 {
		return ""
	}
	return quirkKinds[t.quirk-1]
}

// quirkTime picks the created_at of quirk record i inside [start, end).
func quirkTime(r *rand.Rand, i int, start, end int64) int64 {
	at := between(r, start, end)
	switch quirkKinds[i] {
	case "unpadded_date": // a day whose month and day of month both have one digit
		for d := start - start%dayNanos + dayNanos; d < end; d += dayNanos {
			t := fromNanos(d)
			if t.Month() < 10 && t.Day() < 10 {
				return d + (8*3600+34*60+18)*int64(time.Second) + 123*msNanos
			}
		}
	case "micro_fraction":
		return at + 456*int64(time.Microsecond)
	case "no_fraction":
		return at - at%int64(time.Second)
	}
	return at
}

// addQuirk appends quirk record i as a completed card payment without balance.
func (s *Server) addQuirk(r *rand.Rand, i int, at int64) {
	t := s.gen.newTx(tCardPayment, at)
	t.quirk = uint8(i + 1)
	t.state, t.completed = sCompleted, at
	mi := r.IntN(len(s.w.merchants))
	m := &s.w.merchants[mi]
	t.merchant, t.card = int32(mi), int32(s.gen.holderCard())
	l := s.gen.newLeg(0, -convert(m.minMinor, m.cur, curGBP)-1)
	l.desc = m.name
	t.legs = []leg{l}
	switch quirkKinds[i] {
	case "unknown_type":
		t.kind = tUnknown
	case "unknown_state":
		t.state, t.completed = sUnknown, 0
	}
	idx := int32(len(s.txs))
	s.txs = append(s.txs, t)
	s.txByID[t.id] = idx
	raw := s.appendTx(nil, &s.txs[idx])
	s.quirks = append(s.quirks, Quirk{Stream: "transactions", Kind: quirkKinds[i], ID: txIDString(&s.txs[idx]), Raw: raw,
		Decodable: quirkKinds[i] != "malformed", Storable: quirkKinds[i] != "malformed" && quirkKinds[i] != "nul_escape"})
}

// addExpenseQuirk adds a reimbursement whose expense_date is served unpadded. It has no
// scripted events, so the raw JSON recorded here stays what is served.
func (s *Server) addExpenseQuirk(r *rand.Rand, start, end int64) {
	date := quirkTime(r, 0, start, end)
	b := s.gen.reimbursement(min(date+3*dayNanos, end-hourNanos))
	b.exp.date, b.exp.quirk, b.expEvents = date, true, nil
	s.release(b)
	e := &s.expenses[len(s.expenses)-1]
	s.quirks = append(s.quirks, Quirk{Stream: "expenses", Kind: "expense_unpadded_date", ID: e.id.String(), Raw: s.appendExpense(nil, e),
		Decodable: true, Storable: true})
}
