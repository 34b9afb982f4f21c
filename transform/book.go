package transform

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/revolut"
)

// Line roles (LineKey.Role). A reversing entry uses the same roles with ReversalSuffix.
const (
	RoleBank            = "bank"             // the leg's movement on the bank account
	RoleFee             = "fee"              // the leg's fee on the bank-fees account
	RoleFeeBank         = "fee_bank"         // the fee's movement on the bank account
	RoleBalancing       = "balancing"        // the other side of a transaction without an expense
	RoleFXClearing      = "fx_clearing"      // per-currency balance of a multi-leg transaction
	RoleNet             = "net"              // a split's net amount on its category's account
	RoleVAT             = "vat"              // a split's input VAT
	RoleOutputVAT       = "output_vat"       // a reverse-charge split's output VAT
	RoleSplitDifference = "split_difference" // what the splits do not explain, on suspense
	RoleReimbursement   = "reimbursement"    // what the business owes an employee
	ReversalSuffix      = ":reversal"
)

// Settings is what the booker needs besides the records themselves: the Revolut settings that
// complete a split (category codes, tax percentages), the business's time zone for booking
// dates, and the chart of accounts. Pass DefaultChart() or a chart from the config file after
// WithDefaults.
//
// Cards and TeamMembers are optional: they give card lines the card's label, and a holder name
// when the transaction itself does not carry one. Counterparties, also optional, name the
// payee of a transfer, which the transaction only gives by id.
//
// TaxRateHistory and CategoryHistory, also optional, are the settings as they were over time.
// A split whose tax rate or category they know is booked with the version in force on its
// tax point (the entry's date: a transaction's completed_at, an expense's date), over what
// the split itself says: Revolut may show an old expense with today's settings, and a rate
// that changed after a purchase must not change what the purchase cost. Without a history,
// the split's own values come first and the current settings complete them.
type Settings struct {
	Accounts       []revolut.Account
	Categories     []revolut.AccountingCategory
	TaxRates       []revolut.TaxRate
	Cards          []revolut.Card
	TeamMembers    []revolut.TeamMember
	Counterparties []revolut.Counterparty
	Location       *time.Location // nil means UTC
	Chart          Chart
	// Plausible is the range a record's dates must fall in to be booked (see validate.go);
	// the zero range accepts every date.
	Plausible DateRange
	// TaxRateHistory and CategoryHistory: see above.
	TaxRateHistory  []TaxRateVersion
	CategoryHistory []CategoryVersion

	// BaseCurrency is the currency of the books: every line gets its value in it (fx.go).
	// Empty means the chart's VAT base currency, which defaults to GBP.
	BaseCurrency string
	// Rates answers the reference rates of the currencies an entry's own amounts do not
	// value (fx.go); nil means none: such entries are booked without base values and listed
	// as missing_fx_rate exceptions. If it has a Name() string method, exceptions name it.
	Rates RateBook
}

// Booker turns Revolut records into balanced journal entries. It holds only lookup tables
// built once by NewBooker, so it is safe for concurrent use.
type Booker struct {
	chart           Chart
	loc             *time.Location
	accounts        map[string]revolut.Account
	categories      map[string]revolut.AccountingCategory
	taxRates        map[string]revolut.TaxRate
	cards           map[string]revolut.Card
	members         map[string]revolut.TeamMember
	payees          map[string]string // counterparty id → name
	plausible       DateRange
	taxRateHistory  map[string][]TaxRateVersion  // id → versions by ValidFrom
	categoryHistory map[string][]CategoryVersion // id → versions by ValidFrom
	baseCurrency    string
	rates           RateBook
	rateSource      string // the RateBook's name, for exceptions
}

// Booking is the result of booking one source record: the lines of its entry (and of its
// reversing entry, for a reverted transaction) and everything a person should look at.
// Booked is false when the record was only reported (pending, declined, an orphan expense...);
// Lines is then empty.
type Booking struct {
	Lines      []Line
	Exceptions []Exception
	Booked     bool
}

// NewBooker validates the chart and indexes the settings.
func NewBooker(s Settings) (*Booker, error) {
	s.Chart = s.Chart.ForAccounts(s.Accounts) // a bank code per Revolut account (chart.go)
	s.Chart.VAT = s.Chart.VAT.WithDefaults()
	if err := s.Chart.Validate(); err != nil {
		return nil, fmt.Errorf("transform: new booker: %w", err)
	}
	b := &Booker{
		chart:      s.Chart,
		loc:        s.Location,
		accounts:   make(map[string]revolut.Account, len(s.Accounts)),
		categories: make(map[string]revolut.AccountingCategory, len(s.Categories)),
		taxRates:   make(map[string]revolut.TaxRate, len(s.TaxRates)),
		cards:      make(map[string]revolut.Card, len(s.Cards)),
		members:    make(map[string]revolut.TeamMember, len(s.TeamMembers)),
		payees:     make(map[string]string, len(s.Counterparties)),
		plausible:  s.Plausible,
		taxRateHistory: indexHistory(s.TaxRateHistory, func(v *TaxRateVersion) string { return v.ID },
			func(v *TaxRateVersion) time.Time { return v.ValidFrom }),
		categoryHistory: indexHistory(s.CategoryHistory, func(v *CategoryVersion) string { return v.ID },
			func(v *CategoryVersion) time.Time { return v.ValidFrom }),
		baseCurrency: strings.ToUpper(cmp.Or(strings.TrimSpace(s.BaseCurrency), s.Chart.VAT.BaseCurrency)),
		rates:        s.Rates,
	}
	if !IsCurrencyCode(b.baseCurrency) {
		return nil, fmt.Errorf("transform: new booker: base currency %q is not an ISO 4217 code", s.BaseCurrency)
	}
	if n, ok := s.Rates.(interface{ Name() string }); ok {
		b.rateSource = n.Name()
	}
	if b.loc == nil {
		b.loc = time.UTC
	}
	for _, a := range s.Accounts {
		b.accounts[a.ID] = a
	}
	for _, c := range s.Categories {
		b.categories[c.ID] = c
	}
	for _, t := range s.TaxRates {
		b.taxRates[t.ID] = t
	}
	for _, c := range s.Cards {
		b.cards[c.ID] = c
	}
	for _, m := range s.TeamMembers {
		b.members[m.ID] = m
	}
	for _, c := range s.Counterparties {
		if c.Name != "" {
			b.payees[c.ID] = c.Name
		}
	}
	return b, nil
}

// BookTransaction books one transaction with the expenses linked to it (expense.TransactionID
// = tx.ID) into the entry "txn:<id>".
//
// Only completed transactions are booked. A reverted transaction that had completed is booked
// as it was, plus a reversing entry "txn:<id>:reversal" dated by updated_at, so a period that
// was already exported keeps its figures and the reversal shows up where it happened. Created,
// pending, declined and failed transactions (and unknown states) are reported, not booked.
//
// One leg: a bank line for the leg, then either the expense splits (net and VAT lines, see
// bookSplits) or a balancing line on the transaction type's default account, else suspense.
// Several legs (exchanges, transfers between own accounts): a bank line per leg and, per
// currency that does not net to zero, a line on the FX clearing account. A leg's fee is its
// own pair of lines (bank fees / bank) in the same entry: it is part of the same event, and
// each pair balances on its own.
//
// original is the transaction a refund refers to (related_transaction_id) with its expenses,
// when the caller found it: a refund, chargeback or charge refund without an expense of its
// own mirrors the original's booking (see mirrorOriginal). At most one is used; without it a
// refund that names an original goes to the chart's to-allocate account.
func (b *Booker) BookTransaction(tx revolut.Transaction, expenses []revolut.Expense, original ...Original) Booking {
	if bk, refused := b.refuseTransaction(tx, expenses); refused {
		return bk
	}
	at := tx.CompletedAt.Time
	switch tx.State {
	case revolut.TransactionCompleted:
	case revolut.TransactionReverted:
		if at.IsZero() {
			return b.reportTx(tx, KindNotBookedReverted,
				fmt.Sprintf("transaction %s was reverted before it completed; no money moved, nothing is booked", tx.ID))
		}
	case revolut.TransactionCreated, revolut.TransactionPending:
		return b.reportTx(tx, "not_booked_"+tx.State,
			fmt.Sprintf("transaction %s is %s; it will be booked when it completes", tx.ID, tx.State))
	case revolut.TransactionDeclined, revolut.TransactionFailed:
		reason := fmt.Sprintf("transaction %s was %s", tx.ID, tx.State)
		if tx.ReasonCode != "" {
			reason += " (" + tx.ReasonCode + ")"
		}
		return b.reportTx(tx, "not_booked_"+tx.State, reason+"; no money moved, nothing is booked")
	default:
		return b.reportTx(tx, KindUnknownState,
			fmt.Sprintf("transaction %s has state %q, which revledger does not know; it is not booked", tx.ID, tx.State))
	}
	if len(tx.Legs) == 0 {
		return b.reportTx(tx, KindInvalidTx, fmt.Sprintf("transaction %s has no legs; nothing can be booked", tx.ID))
	}
	for i, leg := range tx.Legs {
		if strings.TrimSpace(leg.Currency) == "" {
			return b.reportTx(tx, KindInvalidTx,
				fmt.Sprintf("leg %d of transaction %s has no currency; the transaction cannot be booked", i, tx.ID))
		}
	}

	var missingCompletedAt bool
	if at.IsZero() {
		missingCompletedAt = true
		at = cmp.Or(tx.UpdatedAt.Time, tx.CreatedAt.Time)
	}
	e := b.newEntry(SourceTransaction, tx.ID, "txn:"+tx.ID, at, b.txBase(tx))
	if tx.Merchant != nil {
		e.country = tx.Merchant.Country // where the VAT was charged (see VATRules.Classify)
	}
	if missingCompletedAt {
		e.except(KindMissingCompletedAt, fmt.Sprintf("completed transaction %s has no completed_at; it is dated by its last update", tx.ID))
	}
	var orig *Original
	if len(original) > 0 {
		orig = &original[0]
	}
	b.bookLegs(e, tx, expenses, orig)

	if len(e.lines) == 0 {
		e.id = ""
		for i := range e.exc {
			e.exc[i].EntryID = ""
		}
		e.except(KindZeroAmount, fmt.Sprintf("transaction %s completed with zero amounts and no fee; there is nothing to book", tx.ID))
		return Booking{Exceptions: e.exc}
	}
	e.convert(b.txRates(e, tx))
	bk := e.finish()
	if !bk.Booked {
		return bk
	}
	if tx.State == revolut.TransactionReverted {
		revAt := cmp.Or(tx.UpdatedAt.Time, at)
		rev := b.newEntry(SourceTransaction, tx.ID, e.id+ReversalSuffix, revAt, Line{})
		for _, l := range bk.Lines {
			rev.add(reverse(l, rev))
		}
		rev.except(KindReversed, fmt.Sprintf("transaction %s was reverted after it completed on %s; a reversing entry cancels it",
			tx.ID, e.date.Format(time.DateOnly)))
		rb := rev.finish()
		bk.Lines = append(bk.Lines, rb.Lines...)
		bk.Exceptions = append(bk.Exceptions, rb.Exceptions...)
	}
	return bk
}

// BookExpense books an expense that has no Revolut transaction (an external reimbursement or
// mileage) into the entry "exp:<id>": net and VAT debits per split, credited to employee
// reimbursements. Only approved and pending_reimbursement expenses are booked; the others are
// reported, because until approval the business owes nothing. An expense that names a
// transaction is not booked here: its transaction books it, and if the transaction is unknown
// it is reported as an orphan (see OrphanExpense).
func (b *Booker) BookExpense(x revolut.Expense) Booking {
	if bk, refused := b.refuseExpense(x); refused {
		return bk
	}
	if x.TransactionID != "" {
		return b.OrphanExpense(x)
	}
	report := func(reason string) Booking {
		e := b.newEntry(SourceExpense, x.ID, "", x.ExpenseDate.Time, Line{})
		return Booking{Exceptions: []Exception{e.exception(KindExpenseNotBooked, reason)}}
	}
	if x.TransactionType != revolut.ExpenseTypeExternal && x.TransactionType != revolut.ExpenseTypeMileage {
		return report(fmt.Sprintf("expense %s (%s) has no transaction, and only external reimbursements and mileage are booked without one",
			x.ID, cmp.Or(x.TransactionType, "no type")))
	}
	if x.State != revolut.ExpenseApproved && x.State != revolut.ExpensePendingReimbursement {
		return report(fmt.Sprintf("reimbursement %s is %s; it is booked once approved", x.ID, cmp.Or(x.State, "without state")))
	}
	if len(x.Splits) == 0 {
		return report(fmt.Sprintf("reimbursement %s has no splits; there is nothing to book", x.ID))
	}

	cur := strings.ToUpper(x.SpentAmount.Currency)
	total := x.SpentAmount.Amount
	if cur == "" {
		cur = strings.ToUpper(x.Splits[0].Amount.Currency)
		total = decimal.Zero
		for _, s := range x.Splits {
			if strings.EqualFold(s.Amount.Currency, cur) {
				total = total.Add(s.Amount.Amount)
			}
		}
	}
	base := Line{Merchant: x.Merchant, Counterparty: x.Payer, Description: x.Description}
	e := b.newEntry(SourceExpense, x.ID, "exp:"+x.ID, reimbursementDate(x), base)
	total = e.amount(total, cur, "spent amount")
	e.checkSpent(x)
	e.bookSplits(total, cur, []revolut.Expense{x}, x.Description)
	l := e.newLine(0, RoleReimbursement, b.chart.EmployeeReimbursements, "", total.Neg(), cur)
	l.ExpenseID, l.ExpenseState, l.ReceiptIDs = x.ID, x.State, slices.Clone(x.ReceiptIDs)
	e.add(l)
	e.convert(nil, nil)
	return e.finish()
}

// OrphanExpense reports an expense whose transaction_id names a transaction that is not known
// (not extracted yet, or outside the window). Nothing is booked: booking it without the bank
// movement would count the spend twice once the transaction arrives.
func (b *Booker) OrphanExpense(x revolut.Expense) Booking {
	if bk, refused := b.refuseExpense(x); refused {
		return bk
	}
	e := b.newEntry(SourceExpense, x.ID, "", x.ExpenseDate.Time, Line{})
	return Booking{Exceptions: []Exception{e.exception(KindOrphanExpense,
		fmt.Sprintf("expense %s refers to transaction %s, which is not known; the expense is not booked until the transaction is",
			x.ID, x.TransactionID))}}
}

// reportTx reports a transaction that is not booked.
func (b *Booker) reportTx(tx revolut.Transaction, kind, reason string) Booking {
	e := b.newEntry(SourceTransaction, tx.ID, "", cmp.Or(tx.CompletedAt.Time, tx.CreatedAt.Time), Line{})
	return Booking{Exceptions: []Exception{e.exception(kind, reason)}}
}

// txBase is the provenance every line of a transaction's entry carries.
//
// A card transaction's references are the ones recorded on the transaction, which Revolut
// copied from the card when it was used: the card's current references may have changed since.
// The label is the card's, as the settings hold it when the line is booked (a transaction does
// not carry it). The holder is the name on the transaction, else the card's holder resolved
// through the team members; the last digits come from the masked number on the transaction,
// else from the card.
func (b *Booker) txBase(tx revolut.Transaction) Line {
	l := Line{
		TransactionID:        tx.ID,
		TransactionType:      tx.Type,
		TransactionState:     tx.State,
		RelatedTransactionID: tx.RelatedTransactionID,
		Reference:            tx.Reference,
	}
	if m := tx.Merchant; m != nil {
		l.Merchant = cmp.Or(m.Name, m.FullName)
	}
	if c := tx.Card; c != nil {
		card := b.cards[c.ID]
		l.CardID = c.ID
		l.CardLastDigits = cmp.Or(lastDigits(c.CardNumber, 4), card.LastDigits)
		l.CardLabel = card.Label
		l.CardHolder = strings.TrimSpace(c.FirstName + " " + c.LastName)
		if l.CardHolder == "" && card.HolderID != "" {
			m := b.members[card.HolderID]
			l.CardHolder = strings.TrimSpace(m.FirstName + " " + m.LastName)
		}
		for _, r := range c.References {
			l.CardReferences = append(l.CardReferences, CardReference{Name: r.Name, Value: r.Value})
		}
	}
	return l
}

// lastDigits returns up to n trailing digits of a masked card number ("516760******1234").
func lastDigits(masked string, n int) string {
	end := len(masked)
	start := end
	for start > 0 && end-start < n && masked[start-1] >= '0' && masked[start-1] <= '9' {
		start--
	}
	return masked[start:end]
}

// bookLegs books the bank and fee lines of every leg and the other side of the entry.
func (b *Booker) bookLegs(e *entry, tx revolut.Transaction, expenses []revolut.Expense, orig *Original) {
	amounts := make([]decimal.Decimal, len(tx.Legs))
	for i, leg := range tx.Legs {
		cur := strings.ToUpper(leg.Currency)
		amt := e.amount(leg.Amount, cur, fmt.Sprintf("leg %d amount", i))
		amounts[i] = amt
		bank := b.chart.bankCode(leg.AccountID, cur)
		bankName := b.bankName(leg.AccountID, cur)
		cp := b.counterparty(tx, leg)
		if !amt.IsZero() {
			l := e.newLine(i, RoleBank, bank, bankName, amt, cur)
			l.RevolutAccountID = leg.AccountID
			l.BankBalance = leg.Balance
			l.Description = leg.Description
			l.Counterparty = cp
			if leg.BillAmount.Valid && leg.BillCurrency != "" && !strings.EqualFold(leg.BillCurrency, cur) {
				l.OriginalAmount = leg.BillAmount
				l.OriginalCurrency = strings.ToUpper(leg.BillCurrency)
			}
			e.add(l)
		}
		if leg.Fee.Valid {
			fee := e.amount(leg.Fee.Decimal, cur, fmt.Sprintf("leg %d fee", i))
			if !fee.IsZero() {
				l := e.newLine(i, RoleFee, b.chart.BankFees, "", fee, cur)
				l.Description, l.Counterparty = leg.Description, cp
				e.add(l)
				l = e.newLine(i, RoleFeeBank, bank, bankName, fee.Neg(), cur)
				l.RevolutAccountID, l.Description, l.Counterparty = leg.AccountID, leg.Description, cp
				e.add(l)
			}
		}
	}

	if len(tx.Legs) > 1 {
		b.clearLegs(e, tx, amounts)
		for _, x := range expenses {
			e.except(KindExpenseIgnored, fmt.Sprintf("expense %s is linked to %s %s, which moves money between the business's own accounts; its splits were not booked",
				x.ID, tx.Type, tx.ID))
		}
		return
	}

	leg, amt := tx.Legs[0], amounts[0]
	cur := strings.ToUpper(leg.Currency)
	var usable, unusable, personal []revolut.Expense
	var unusableWhy []string
	for _, x := range sortedExpenses(expenses) {
		if x.TransactionID != tx.ID {
			e.except(KindExpenseIgnored, fmt.Sprintf("expense %s belongs to transaction %s, not %s; it was ignored here",
				x.ID, cmp.Or(x.TransactionID, "(none)"), tx.ID))
			continue
		}
		switch {
		case x.State == revolut.ExpenseRefundRequested || x.State == revolut.ExpenseRefunded:
			personal = append(personal, x) // splits or not: the employee owes the spend
		case len(x.Splits) == 0:
			unusable, unusableWhy = append(unusable, x), append(unusableWhy, fmt.Sprintf("expense %s has no splits", x.ID))
		case x.State == revolut.ExpenseApproved || x.State == revolut.ExpensePendingReimbursement:
			usable = append(usable, x)
		case x.State == revolut.ExpenseReverted && tx.State == revolut.TransactionReverted:
			// Revolut reverts the expense of a reverted payment too. The entry books the payment
			// as it was when it completed (the reversing entry then cancels it line by line),
			// so its splits and VAT are used as they were, not re-booked on suspense.
			usable = append(usable, x)
		case x.State == revolut.ExpenseAwaitingReview:
			usable = append(usable, x)
			e.except(KindExpenseUnreviewed, fmt.Sprintf("expense %s is awaiting review; its categories and VAT were booked as submitted", x.ID))
		default:
			unusable = append(unusable, x)
			unusableWhy = append(unusableWhy, fmt.Sprintf("expense %s is %s%s", x.ID, cmp.Or(x.State, "without state"), stateHint(x.State)))
		}
	}
	if len(usable) > 0 {
		for _, x := range usable {
			e.checkSpent(x)
		}
		if len(usable) == 1 {
			// The bank statement sheet links a payment to its expense and receipts.
			for i := range e.lines {
				if e.lines[i].Key.Role == RoleBank {
					x := usable[0]
					e.lines[i].ExpenseID, e.lines[i].ExpenseState = x.ID, x.State
					e.lines[i].ReceiptIDs = slices.Clone(x.ReceiptIDs)
				}
			}
		}
		if !amt.IsZero() {
			e.bookSplits(amt.Neg(), cur, usable, leg.Description)
		}
		return
	}
	if amt.IsZero() {
		return
	}
	if len(personal) > 0 {
		b.bookPersonal(e, tx, leg, amt, cur, personal)
		return
	}
	if len(unusable) == 0 && b.bookSpecial(e, tx, leg, amt, cur, orig) {
		return
	}

	code, hasDefault := b.chart.ByTransactionType[tx.Type]
	var kind, reason string
	switch {
	case len(unusable) > 0:
		if !hasDefault {
			code = b.chart.Suspense
		}
		kind = KindExpenseNotUsable
		reason = strings.Join(unusableWhy, "; ") + ", so its splits were not used"
	case hasDefault && slices.Contains(b.chart.RoutineTypes, tx.Type):
		// A top-up, a tax payment or a bank charge needs no expense: booking it on its
		// type's account is the normal case, not something to look at.
	case hasDefault:
		kind = KindDefaultAccount
		reason = fmt.Sprintf("%s %s has no expense", tx.Type, tx.ID)
	case knownType(tx.Type):
		code = b.chart.Suspense
		kind = KindMissingExpense
		reason = fmt.Sprintf("%s %s has no expense", strings.ReplaceAll(tx.Type, "_", " "), tx.ID)
	default:
		code = b.chart.Suspense
		kind = KindUnknownType
		reason = fmt.Sprintf("transaction %s has type %q, which revledger does not know", tx.ID, tx.Type)
	}
	l := e.newLine(0, RoleBalancing, code, "", amt.Neg(), cur)
	l.Description, l.Counterparty = leg.Description, b.counterparty(tx, leg)
	if len(unusable) > 0 { // the line names the expense that could not be used
		l.ExpenseID, l.ExpenseState = unusable[0].ID, unusable[0].State
	}
	e.add(l)
	if kind != "" {
		e.except(kind, fmt.Sprintf("%s; %s was booked to %s %s", reason, e.money(amt.Abs(), cur), code, b.chart.name(code, "")))
	}
}

func stateHint(state string) string {
	switch state {
	case revolut.ExpenseMissingInfo:
		return " (details missing)"
	case revolut.ExpenseRejected:
		return " (rejected by the approver)"
	case revolut.ExpenseRefundRequested:
		return " (the employee was asked to pay it back)"
	case revolut.ExpenseRefunded:
		return " (the employee paid it back)"
	}
	return ""
}

// clearLegs balances a multi-leg transaction per currency on the FX clearing account: an
// exchange leaves, per currency, the opposite of its leg on the clearing account; a transfer
// between own accounts in one currency nets to zero and needs no clearing line.
func (b *Booker) clearLegs(e *entry, tx revolut.Transaction, amounts []decimal.Decimal) {
	var currencies []string
	sums := map[string]decimal.Decimal{}
	first := map[string]int{}
	for i, leg := range tx.Legs {
		cur := strings.ToUpper(leg.Currency)
		if _, ok := sums[cur]; !ok {
			currencies = append(currencies, cur)
			first[cur] = i
			sums[cur] = decimal.Zero
		}
		sums[cur] = sums[cur].Add(amounts[i])
	}
	for _, cur := range currencies {
		if s := sums[cur]; !s.IsZero() {
			l := e.newLine(first[cur], RoleFXClearing, b.chart.FXClearing, "", s.Neg(), cur)
			l.Description = tx.Legs[first[cur]].Description
			e.add(l)
		}
	}
	if len(currencies) == 1 && !sums[currencies[0]].IsZero() {
		cur := currencies[0]
		e.except(KindUnbalancedLegs, fmt.Sprintf("the %d legs of %s %s are all in %s but sum to %s instead of zero; the difference was booked to %s %s",
			len(tx.Legs), tx.Type, tx.ID, cur, e.money(sums[cur], cur), b.chart.FXClearing, b.chart.name(b.chart.FXClearing, "")))
	}
}

// bookSplits books the expense side of an entry: target is the signed total the splits must
// carry in currency cur (the negated bank amount, or a reimbursement's spent amount).
//
// Splits in cur are booked at their own amounts (sign-aligned with target, so a refund whose
// splits Revolut records as positive still books as credits); what they do not explain goes to
// suspense. Splits in another currency are weights: target is allocated over them pro rata,
// which keeps the bank figure exact and spreads the exchange difference. Within each split's
// gross, VAT is computed by VAT, and net + tax = gross exactly.
func (e *entry) bookSplits(target decimal.Decimal, cur string, xs []revolut.Expense, descFallback string) {
	b := e.b
	type ref struct {
		x     *revolut.Expense
		s     revolut.Split
		index int
	}
	var refs []ref
	for i := range xs {
		for _, s := range xs[i].Splits {
			refs = append(refs, ref{x: &xs[i], s: s, index: len(refs)})
		}
	}
	places := MinorUnits(cur)
	gross := make([]decimal.Decimal, len(refs))
	original := make([]bool, len(refs))

	sameCurrency := true
	splitCurrencies := map[string]bool{}
	for _, r := range refs {
		c := strings.ToUpper(r.s.Amount.Currency)
		splitCurrencies[c] = true
		if c != cur {
			sameCurrency = false
		}
	}

	if sameCurrency {
		sum := decimal.Zero
		for i, r := range refs {
			gross[i] = e.amount(r.s.Amount.Amount, cur, fmt.Sprintf("split %d of expense %s", i, r.x.ID))
			sum = sum.Add(gross[i])
		}
		if target.Sign()*sum.Sign() < 0 {
			for i := range gross {
				gross[i] = gross[i].Neg()
			}
			sum = sum.Neg()
		}
		if diff := target.Sub(sum); !diff.IsZero() {
			l := e.newLine(0, RoleSplitDifference, b.chart.Suspense, "", diff, cur)
			l.ExpenseID, l.ExpenseState = xs[0].ID, xs[0].State
			l.Description = descFallback
			e.add(l)
			e.except(KindSplitsMismatch, fmt.Sprintf("the splits of %s add up to %s but %s was booked; the difference of %s went to %s %s",
				expenseIDs(xs), e.money(sum.Abs(), cur), e.money(target.Abs(), cur), e.money(diff, cur),
				b.chart.Suspense, b.chart.name(b.chart.Suspense, "")))
		}
	} else {
		if len(splitCurrencies) > 1 {
			e.except(KindMixedCurrencies, fmt.Sprintf("the splits of %s are in several currencies (%s); %s was allocated by their face amounts",
				expenseIDs(xs), strings.Join(slices.Sorted(maps.Keys(splitCurrencies)), ", "), e.money(target.Abs(), cur)))
		}
		weights := make([]decimal.Decimal, len(refs))
		for i, r := range refs {
			weights[i] = r.s.Amount.Amount
		}
		parts, err := e.partialSplits(target, cur, xs, descFallback)
		if parts == nil && err == nil {
			parts, err = Allocate(target, weights, places)
		}
		if err != nil {
			l := e.newLine(0, RoleSplitDifference, b.chart.Suspense, "", target, cur)
			l.ExpenseID, l.ExpenseState, l.Description = xs[0].ID, xs[0].State, descFallback
			e.add(l)
			e.except(KindSplitsMismatch, fmt.Sprintf("the splits of %s add up to zero, so %s cannot be allocated over them; it went to %s %s",
				expenseIDs(xs), e.money(target.Abs(), cur), b.chart.Suspense, b.chart.name(b.chart.Suspense, "")))
			return
		}
		gross = parts
		for i := range original {
			original[i] = true
		}
	}

	for i, r := range refs {
		base := e.newLine(r.index, "", "", "", decimal.Zero, cur)
		base.ExpenseID = r.x.ID
		base.ExpenseState = r.x.State
		base.ReceiptIDs = slices.Clone(r.x.ReceiptIDs)
		base.Labels = labels(r.x.Labels)
		base.Description = cmp.Or(r.x.Description, descFallback)
		base.Merchant = cmp.Or(base.Merchant, r.x.Merchant)
		base.CategoryID = r.s.Category.ID
		base.CategoryName = r.s.Category.Name
		base.TaxRateID = r.s.TaxRate.ID
		base.TaxRateName = r.s.TaxRate.Name
		if original[i] {
			o := r.s.Amount.Amount
			if o.Sign()*gross[i].Sign() < 0 {
				o = o.Neg()
			}
			base.OriginalAmount = decimal.NewNullDecimal(o)
			base.OriginalCurrency = strings.ToUpper(r.s.Amount.Currency)
		}

		code, catCode, catName, ok := b.categoryAccount(r.s.Category, e.occurred)
		base.CategoryCode, base.CategoryName = catCode, catName
		if !ok {
			code = b.chart.Suspense
			e.except(KindMissingCategory, fmt.Sprintf("split %d of expense %s has no category code (category %q); its net amount was booked to %s %s",
				r.index, r.x.ID, cmp.Or(catName, r.s.Category.ID), code, b.chart.name(code, "")))
		}

		rate, rateName, rateOK := b.taxRate(r.s.TaxRate, e.occurred)
		base.TaxRateName = cmp.Or(base.TaxRateName, rateName)
		if !rateOK {
			e.except(KindUnknownTaxRate, fmt.Sprintf("split %d of expense %s has tax rate %q without a known percentage; it was booked with no VAT",
				r.index, r.x.ID, cmp.Or(r.s.TaxRate.Name, r.s.TaxRate.ID, "(none)")))
			rate = decimal.Zero
		}
		if rate.IsNegative() {
			e.except(KindUnknownTaxRate, fmt.Sprintf("split %d of expense %s has a negative tax rate %s%%; it was booked with no VAT",
				r.index, r.x.ID, rate))
			rate = decimal.Zero
		}
		treatment := b.chart.VAT.Classify(VATInput{
			RateID: r.s.TaxRate.ID, RateName: base.TaxRateName, Percent: nullIf(rate, rateOK),
			CategoryCode: catCode, Currency: cmp.Or(strings.ToUpper(r.s.Amount.Currency), cur), MerchantCountry: e.country,
		})
		base.VATTreatment = treatment
		if rateOK {
			base.TaxRatePercent = decimal.NewNullDecimal(rate)
		}
		e.addSplit(base, code, b.chart.name(code, catName), gross[i], rate)
	}
}

func nullIf(d decimal.Decimal, ok bool) decimal.NullDecimal {
	if !ok {
		return decimal.NullDecimal{}
	}
	return decimal.NewNullDecimal(d)
}

// checkSpent reports an expense whose splits (when all in the spent currency) do not add up
// to its spent amount.
func (e *entry) checkSpent(x revolut.Expense) {
	cur := strings.ToUpper(x.SpentAmount.Currency)
	if cur == "" || len(x.Splits) == 0 {
		return
	}
	sum := decimal.Zero
	for _, s := range x.Splits {
		if !strings.EqualFold(s.Amount.Currency, cur) {
			return
		}
		sum = sum.Add(s.Amount.Amount)
	}
	if !sum.Equal(x.SpentAmount.Amount) {
		e.except(KindSpentMismatch, fmt.Sprintf("the splits of expense %s add up to %s but its spent amount is %s",
			x.ID, e.money(sum, cur), e.money(x.SpentAmount.Amount, cur)))
	}
}

// categoryAccount returns the GL code for a split's category, the category's Revolut code and
// name, and false when there is no code to map. The category as in force at the tax point
// (history) comes first; else the split's own code and name, completed from the current
// settings by id.
func (b *Booker) categoryAccount(c revolut.SplitCategory, at time.Time) (gl, code, name string, ok bool) {
	code, name = c.Code, c.Name
	if v, found := b.categoryAt(c.ID, at); found {
		code, name = cmp.Or(v.Code, code), cmp.Or(v.Name, name)
	} else if s, found := b.categories[c.ID]; found && c.ID != "" {
		code, name = cmp.Or(code, s.Code), cmp.Or(name, s.Name)
	}
	if code == "" {
		return "", "", name, false
	}
	if gl, found := b.chart.ByCategoryCode[code]; found {
		return gl, code, name, true
	}
	return code, code, name, true
}

// taxRate returns a split's tax percentage and false when there is none: the rate as in force
// at the tax point (history) when it has a percentage, else the split's own, else the current
// settings by id.
func (b *Booker) taxRate(t revolut.SplitTaxRate, at time.Time) (decimal.Decimal, string, bool) {
	if v, ok := b.taxRateAt(t.ID, at); ok && v.Percentage.Valid {
		return v.Percentage.Decimal, cmp.Or(v.Name, t.Name), true
	}
	if t.Percentage.Valid {
		return t.Percentage.Decimal, t.Name, true
	}
	if s, ok := b.taxRates[t.ID]; ok && t.ID != "" && s.Percentage.Valid {
		return s.Percentage.Decimal, s.Name, true
	}
	return decimal.Zero, "", false
}

// bankName names the bank account of a leg: the chart's name for the code, else the Revolut
// account's own name.
func (b *Booker) bankName(accountID, cur string) string {
	if a, ok := b.accounts[accountID]; ok && a.Name != "" {
		return b.chart.name(b.chart.bankCode(accountID, cur), "Revolut "+a.Name)
	}
	return b.chart.name(b.chart.bankCode(accountID, cur), "Revolut "+cur)
}

// counterparty names who the money went to or came from: the card merchant, else the
// counterparty by name (from the counterparty settings), else the business's own account for
// a transfer between its accounts, else the id Revolut gave.
func (b *Booker) counterparty(tx revolut.Transaction, leg revolut.Leg) string {
	if tx.Merchant != nil {
		if n := cmp.Or(tx.Merchant.Name, tx.Merchant.FullName); n != "" {
			return n
		}
	}
	c := leg.Counterparty
	if c == nil {
		return ""
	}
	if n, ok := b.payees[c.ID]; ok {
		return n
	}
	// A transfer between the business's own accounts names the other account.
	if a, ok := b.accounts[c.AccountID]; ok && a.Name != "" {
		return a.Name
	}
	return cmp.Or(c.ID, c.AccountID)
}

// labels turns Revolut's group → [label] map into group → label (the first one; Revolut
// allows one label per group on an expense).
func labels(in map[string][]string) map[string]string {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]string, len(in))
	for group, names := range in {
		if len(names) > 0 {
			out[group] = names[0]
		}
	}
	return out
}

func knownType(t string) bool {
	switch t {
	case revolut.TypeATM, revolut.TypeCardPayment, revolut.TypeCardRefund, revolut.TypeCardChargeback,
		revolut.TypeCardCredit, revolut.TypeCharge, revolut.TypeChargeRefund, revolut.TypeExchange,
		revolut.TypeTransfer, revolut.TypeLoan, revolut.TypeFee, revolut.TypeRefund, revolut.TypeTopup,
		revolut.TypeTopupReturn, revolut.TypeTax, revolut.TypeTaxRefund, revolut.TypeRevPayment:
		return true
	}
	return false
}

func sortedExpenses(xs []revolut.Expense) []revolut.Expense {
	out := slices.Clone(xs)
	slices.SortStableFunc(out, func(a, b revolut.Expense) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func expenseIDs(xs []revolut.Expense) string {
	ids := make([]string, len(xs))
	for i, x := range xs {
		ids[i] = x.ID
	}
	if len(ids) == 1 {
		return "expense " + ids[0]
	}
	return "expenses " + strings.Join(ids, ", ")
}

// reverse returns the reversing copy of l in entry rev: every amount negated, the role
// suffixed, dated by the reversal. The bank balance after the original leg says nothing about
// the balance after the reversal, so it is dropped.
func reverse(l Line, rev *entry) Line {
	r := l
	r.Key.Role += ReversalSuffix
	r.EntryID = rev.id
	r.BookingDate, r.OccurredAt, r.Period = rev.date, rev.occurred, rev.period
	r.Amount = l.Amount.Neg()
	r.BaseAmount = negNull(l.BaseAmount) // at the original's rate: the reversal cancels exactly
	r.OriginalAmount = negNull(l.OriginalAmount)
	r.Net, r.Tax, r.Gross = negNull(l.Net), negNull(l.Tax), negNull(l.Gross)
	r.BankBalance = decimal.NullDecimal{}
	r.ReceiptIDs = slices.Clone(l.ReceiptIDs)
	r.CardReferences = slices.Clone(l.CardReferences)
	if l.Labels != nil {
		r.Labels = make(map[string]string, len(l.Labels))
		for k, v := range l.Labels {
			r.Labels[k] = v
		}
	}
	return r
}

func negNull(d decimal.NullDecimal) decimal.NullDecimal {
	if !d.Valid {
		return d
	}
	return decimal.NewNullDecimal(d.Decimal.Neg())
}
