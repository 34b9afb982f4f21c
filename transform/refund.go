package transform

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/revolut"
)

// Exception kinds of the refund, card-credit and personal-spend rules.
const (
	// KindRefundToAllocate: a refund names an original that is not known, or one whose booking
	// cannot be mirrored; it was booked to the to-allocate account.
	KindRefundToAllocate = "refund_to_allocate"
	// KindRefundExceedsOriginal: a refund gives back more than its original cost; it was
	// mirrored pro rata all the same.
	KindRefundExceedsOriginal = "refund_exceeds_original"
	// KindCardCredit: money credited to a card with nothing to say what it is for; booked to
	// the to-allocate account.
	KindCardCredit = "card_credit_to_allocate"
)

// Original is the transaction a refund refers to (its related_transaction_id), with the
// expenses linked to it, as the caller found it in the warehouse.
type Original struct {
	Transaction revolut.Transaction
	Expenses    []revolut.Expense
}

// mirrorTypes are the transaction types that give back (part of) an earlier transaction and
// are booked as its mirror image when the original is known.
func mirrorType(t string) bool {
	switch t {
	case revolut.TypeCardRefund, revolut.TypeCardChargeback, revolut.TypeRefund, revolut.TypeChargeRefund:
		return true
	}
	return false
}

// bookSpecial books the other side of a one-leg transaction without a usable expense when a
// rule other than the type's default account applies, and reports whether it did:
//   - a refund, chargeback or charge refund that names its original mirrors it (or goes to
//     the to-allocate account when the original is not known);
//   - a card credit goes to the to-allocate account with an exception;
//   - a transfer to a team member is a reimbursement payout and clears employee
//     reimbursements; a transfer from one repays personal spend and clears employee
//     receivables.
func (b *Booker) bookSpecial(e *entry, tx revolut.Transaction, leg revolut.Leg, amt decimal.Decimal, cur string, orig *Original) bool {
	switch {
	case mirrorType(tx.Type) && tx.RelatedTransactionID != "":
		b.mirrorOriginal(e, tx, leg, amt, cur, orig)
		return true
	case tx.Type == revolut.TypeCardCredit:
		b.toAllocate(e, tx, leg, amt, cur, KindCardCredit, fmt.Sprintf("card credit %s of %s from %s says nothing about what it is for",
			tx.ID, e.money(amt.Abs(), cur), cmp.Or(b.counterparty(tx, leg), "an unnamed merchant")))
		return true
	case tx.Type == revolut.TypeTransfer:
		name, ok := b.teamMember(leg)
		if !ok {
			return false
		}
		code := b.chart.EmployeeReimbursements
		if amt.IsPositive() {
			code = b.chart.EmployeeReceivables
		}
		l := e.newLine(0, RoleBalancing, code, "", amt.Neg(), cur)
		l.Description, l.Counterparty = leg.Description, name
		e.add(l)
		return true
	}
	return false
}

// toAllocate books the other side of tx on the to-allocate account with an exception.
func (b *Booker) toAllocate(e *entry, tx revolut.Transaction, leg revolut.Leg, amt decimal.Decimal, cur, kind, reason string) {
	code := b.chart.ToAllocate
	l := e.newLine(0, RoleBalancing, code, "", amt.Neg(), cur)
	l.Description, l.Counterparty = leg.Description, b.counterparty(tx, leg)
	e.add(l)
	e.except(kind, fmt.Sprintf("%s; %s was booked to %s %s", reason, e.money(amt.Abs(), cur), code, b.chart.name(code, "")))
}

// mirrorOriginal books a refund as the mirror image of its original, pro rata: the
// original's booking is recomputed, its other side (category net and VAT lines per split,
// or the balancing line on the type's account, plus any suspense difference) is taken as
// weights, and the refunded amount is allocated over them with Allocate (exact, largest
// remainder). Each split's share is then split into net and VAT at the original's rate, so a
// refund of a 20% purchase reverses 20% VAT, and a refund of a transfer lands on the
// account the transfer was booked to.
//
// Without the original (not passed, or another id), with an original that was not booked,
// has several legs or another currency, the refund goes to the to-allocate account with an
// exception.
func (b *Booker) mirrorOriginal(e *entry, tx revolut.Transaction, leg revolut.Leg, amt decimal.Decimal, cur string, orig *Original) {
	what := fmt.Sprintf("%s %s refers to transaction %s", strings.ReplaceAll(tx.Type, "_", " "), tx.ID, tx.RelatedTransactionID)
	if orig == nil || orig.Transaction.ID != tx.RelatedTransactionID {
		b.toAllocate(e, tx, leg, amt, cur, KindRefundToAllocate, what+", which is not known")
		return
	}
	o := orig.Transaction
	if len(o.Legs) != 1 || !strings.EqualFold(o.Legs[0].Currency, cur) {
		b.toAllocate(e, tx, leg, amt, cur, KindRefundToAllocate, fmt.Sprintf("%s, which has %d legs in %s; its booking cannot be mirrored",
			what, len(o.Legs), legCurrencies(o)))
		return
	}
	ob := b.BookTransaction(o, orig.Expenses)
	if !ob.Booked {
		b.toAllocate(e, tx, leg, amt, cur, KindRefundToAllocate, fmt.Sprintf("%s, which is %s and was not booked", what, o.State))
		return
	}

	// The other side of the original's entry, one component per split (net + VAT) and one
	// per balancing or difference line.
	type component struct {
		line   Line // the net, balancing or difference line, for account and provenance
		weight decimal.Decimal
		rate   decimal.NullDecimal
		split  bool
	}
	var comps []component
	at := map[int]int{} // split index → component
	origEntry := "txn:" + o.ID
	for _, l := range ob.Lines {
		if l.EntryID != origEntry {
			continue // the original's reversing entry, if it was reverted
		}
		switch l.Key.Role {
		case RoleNet, RoleVAT:
			if l.Key.Role == RoleVAT && l.VATTreatment == VATReverseCharge {
				continue // self-accounted VAT: not part of what was paid
			}
			i, ok := at[l.Key.Index]
			if !ok {
				i = len(comps)
				at[l.Key.Index] = i
				comps = append(comps, component{split: true, weight: decimal.Zero})
			}
			comps[i].weight = comps[i].weight.Add(l.Amount)
			if l.Key.Role == RoleNet {
				comps[i].line, comps[i].rate = l, l.TaxRatePercent
			}
		case RoleBalancing, RoleSplitDifference, RoleReimbursement:
			comps = append(comps, component{line: l, weight: l.Amount})
		}
	}
	weights := make([]decimal.Decimal, len(comps))
	total := decimal.Zero
	for i, c := range comps {
		weights[i] = c.weight
		total = total.Add(c.weight)
	}
	if len(comps) == 0 || total.IsZero() {
		b.toAllocate(e, tx, leg, amt, cur, KindRefundToAllocate, what+", whose booking has nothing to mirror")
		return
	}
	parts, err := Allocate(amt.Neg(), weights, MinorUnits(cur))
	if err != nil {
		b.toAllocate(e, tx, leg, amt, cur, KindRefundToAllocate, fmt.Sprintf("%s, whose booking cannot be mirrored (%v)", what, err))
		return
	}
	if amt.Abs().GreaterThan(total.Abs()) {
		e.except(KindRefundExceedsOriginal, fmt.Sprintf("%s, which cost %s, but %s came back; it was mirrored pro rata all the same",
			what, e.money(total.Abs(), cur), e.money(amt.Abs(), cur)))
	}
	desc := cmp.Or(leg.Description, "Refund of "+o.ID)
	for i, c := range comps {
		src := c.line
		if !c.split {
			l := e.newLine(src.Key.Index, src.Key.Role, src.AccountCode, src.AccountName, parts[i], cur)
			l.Description, l.Counterparty = desc, b.counterparty(tx, leg)
			e.add(l)
			continue
		}
		rate := decimal.Zero
		if c.rate.Valid {
			rate = c.rate.Decimal
		}
		base := e.newLine(src.Key.Index, "", "", "", decimal.Zero, cur)
		base.Description = desc
		base.Labels = src.Labels
		base.CategoryID, base.CategoryCode, base.CategoryName = src.CategoryID, src.CategoryCode, src.CategoryName
		base.TaxRateID, base.TaxRateName, base.TaxRatePercent = src.TaxRateID, src.TaxRateName, c.rate
		base.VATTreatment = src.VATTreatment                               // the refund mirrors the purchase's treatment
		e.addSplit(base, src.AccountCode, src.AccountName, parts[i], rate) // the rate was non-negative when booked
	}
}

func legCurrencies(tx revolut.Transaction) string {
	var cs []string
	for _, l := range tx.Legs {
		cs = append(cs, strings.ToUpper(l.Currency))
	}
	if len(cs) == 0 {
		return "no currency"
	}
	return strings.Join(cs, ", ")
}

// bookPersonal books card spend that an approver sent back as personal (expense
// refund_requested, or refunded once the employee paid it back) on employee receivables:
// the employee owes it, so it is neither a business expense nor suspense. The employee's
// repayment, a transfer from the team member, clears the receivable (bookSpecial).
func (b *Booker) bookPersonal(e *entry, tx revolut.Transaction, leg revolut.Leg, amt decimal.Decimal, cur string, xs []revolut.Expense) {
	code := b.chart.EmployeeReceivables
	l := e.newLine(0, RoleBalancing, code, "", amt.Neg(), cur)
	l.Description, l.Counterparty = leg.Description, b.counterparty(tx, leg)
	x := xs[0]
	l.ExpenseID, l.ExpenseState, l.ReceiptIDs = x.ID, x.State, append([]string(nil), x.ReceiptIDs...)
	l.Merchant = cmp.Or(l.Merchant, x.Merchant)
	if x.Payer != "" {
		l.Counterparty = x.Payer
	}
	e.add(l)
}

// teamMember reports whether the counterparty of leg is one of the business's team members
// (their own Revolut account): by id, or by a counterparty whose name is a member's full
// name. It returns the member's name.
func (b *Booker) teamMember(leg revolut.Leg) (string, bool) {
	c := leg.Counterparty
	if c == nil || c.ID == "" || c.AccountType == "self" {
		return "", false
	}
	if m, ok := b.members[c.ID]; ok {
		return strings.TrimSpace(m.FirstName + " " + m.LastName), true
	}
	payee, ok := b.payees[c.ID]
	if !ok {
		return "", false
	}
	for _, m := range b.members {
		if n := strings.TrimSpace(m.FirstName + " " + m.LastName); n != "" && strings.EqualFold(n, payee) {
			return n, true
		}
	}
	return "", false
}
