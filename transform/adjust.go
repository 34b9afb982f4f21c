package transform

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/revolut"
)

// AdjustmentReversed marks the role (LineKey.Role) of an adjustment line that reverses a
// booked line: the key stays that of the booked line, so the reversal and the new booking of
// the same line can sit in one entry.
const AdjustmentReversed = ":reversed"

// AdjustmentEntryPrefix starts the id of every adjustment entry.
const AdjustmentEntryPrefix = "adj:"

// AdjustmentEntryID is the deterministic id of the n-th adjustment (n ≥ 1) of version version of
// entry entryID: "adj:<entry id>:v<version>:<n>". The same change booked twice gets the same id,
// so re-running a sync upserts the adjustment instead of writing a second one.
func AdjustmentEntryID(entryID string, version, n int) string {
	return AdjustmentEntryPrefix + entryID + ":v" + strconv.Itoa(version) + ":" + strconv.Itoa(n)
}

// IsAdjustmentReversal reports whether l is the reversing half of an adjustment line pair.
func IsAdjustmentReversal(l Line) bool { return strings.HasSuffix(l.Key.Role, AdjustmentReversed) }

// BaseRole is role without its reversal markers (ReversalSuffix of a reversing entry's line,
// AdjustmentReversed of an adjustment's reversing line, in any combination): the role of the
// line that was reversed. Readers that group a split's lines or classify a line by what it is
// use it, so that a reversal counts as the negative of what it reverses.
func BaseRole(role string) string {
	for {
		r := strings.TrimSuffix(strings.TrimSuffix(role, AdjustmentReversed), ReversalSuffix)
		if r == role {
			return r
		}
		role = r
	}
}

// IsReversal reports whether l reverses another line, in a reversing entry or an adjustment.
func IsReversal(l *Line) bool { return BaseRole(l.Key.Role) != l.Key.Role }

// Adjustment says where an adjustment entry goes and what it adjusts.
type Adjustment struct {
	EntryID        string    // AdjustmentEntryID(...)
	Date           time.Time // booking date of every line, midnight UTC, in the first open period
	AdjustsEntryID string    // the entry, in a closed period, being adjusted
	AdjustsVersion int       // its version that was booked (0: it had none, e.g. a new entry dated in a closed period)
	AdjustsPeriod  string    // that version's period, YYYY-MM
	Reason         string    // one of the Adjustment* reasons
}

// Adjust returns the lines of an adjustment entry: first the exact reversal of booked (what is
// booked for the source across closed periods, line by line, VAT lines included: every amount
// negated, every account, rate and dimension kept), then the new booking rebooked, both re-dated
// to a.Date and carrying a's link and reason. Either may be empty (a source that no longer books
// anything; an entry new in a closed period). Each half balances per currency because booked
// and rebooked each do, so the adjustment entry balances too.
//
// A reversal mirrors what was booked and never the record's current state: booked must be the
// stored lines, not a re-booking of the record.
func Adjust(booked, rebooked []Line, a Adjustment) []Line {
	out := make([]Line, 0, len(booked)+len(rebooked))
	stamp := func(l Line) Line {
		l.Version = 0
		l.EntryID = a.EntryID
		l.BookingDate = a.Date
		l.Period = a.Date.Format("2006-01")
		l.AdjustsEntryID, l.AdjustsVersion, l.AdjustsPeriod, l.AdjustmentReason = a.AdjustsEntryID, a.AdjustsVersion, a.AdjustsPeriod, a.Reason
		l.ReceiptIDs = slices.Clone(l.ReceiptIDs)
		l.CardReferences = slices.Clone(l.CardReferences)
		l.Labels = maps.Clone(l.Labels)
		return l
	}
	for _, l := range booked {
		r := stamp(l)
		r.Key.Role += AdjustmentReversed
		r.Amount = l.Amount.Neg()
		r.BaseAmount = negNull(l.BaseAmount) // rate and source kept: the reversal cancels exactly
		r.OriginalAmount = negNull(l.OriginalAmount)
		r.Net, r.Tax, r.Gross = negNull(l.Net), negNull(l.Tax), negNull(l.Gross)
		r.BankBalance = decimal.NullDecimal{} // a balance is a fact of the original leg, not of its reversal
		out = append(out, r)
	}
	for _, l := range rebooked {
		out = append(out, stamp(l))
	}
	return out
}

// AdjustmentReasonFor says why booked became rebooked, from the lines alone (the first that
// applies): nothing booked any more for a transaction, or a transaction state of reverted,
// declined or failed → reverted; nothing booked any more for an expense, or an expense that
// became rejected, reverted or missing_info, or an expense whose splits are no longer used →
// expense_rejected; a different bank amount → amount_changed; other categories or tax rates →
// recategorised; the same categories and rates with other names, percentages or accounts (the
// settings changed) → settings_changed; anything else → changed.
func AdjustmentReasonFor(booked, rebooked []Line) string {
	if len(rebooked) == 0 {
		for _, l := range booked {
			if l.Key.SourceType == SourceExpense {
				return AdjustmentExpenseRejected
			}
		}
		return AdjustmentReverted
	}
	for _, l := range rebooked {
		switch l.TransactionState {
		case revolut.TransactionReverted, revolut.TransactionDeclined, revolut.TransactionFailed:
			return AdjustmentReverted
		}
	}
	had := func(ls []Line, role string) bool {
		return slices.ContainsFunc(ls, func(l Line) bool { return l.Key.Role == role })
	}
	for _, l := range rebooked {
		switch l.ExpenseState {
		case revolut.ExpenseRejected, revolut.ExpenseReverted, revolut.ExpenseMissingInfo:
			return AdjustmentExpenseRejected
		}
	}
	if had(booked, RoleNet) && !had(rebooked, RoleNet) {
		return AdjustmentExpenseRejected
	}
	sum := func(ls []Line, roles ...string) map[string]decimal.Decimal {
		m := map[string]decimal.Decimal{}
		for _, l := range ls {
			if slices.Contains(roles, l.Key.Role) {
				m[l.Currency] = m[l.Currency].Add(l.Amount)
			}
		}
		return m
	}
	if !sameSums(sum(booked, RoleBank, RoleFeeBank), sum(rebooked, RoleBank, RoleFeeBank)) {
		return AdjustmentAmountChanged
	}
	// The categories and rates are read on the net and balancing lines: whether a split has a
	// VAT line follows from its rate's percentage and its category (vat.go), so a VAT line that
	// appears or goes with the same category and rate is the settings changing, not a
	// recategorisation (a recategorisation shows on the net line's category or rate).
	ids := func(ls []Line) []string {
		var s []string
		for _, l := range ls {
			if l.Key.Role == RoleNet || l.Key.Role == RoleBalancing {
				s = append(s, l.Key.String()+"|"+l.CategoryID+"|"+l.TaxRateID)
			}
		}
		slices.Sort(s)
		return s
	}
	if !slices.Equal(ids(booked), ids(rebooked)) {
		return AdjustmentRecategorised
	}
	settings := func(ls []Line) []string {
		var s []string
		for _, l := range ls {
			s = append(s, l.Key.String()+"|"+l.AccountCode+"|"+l.Amount.String()+"|"+l.TaxRateName+"|"+
				l.TaxRatePercent.Decimal.String()+"|"+l.CategoryCode+"|"+l.CategoryName)
		}
		slices.Sort(s)
		return s
	}
	if !slices.Equal(settings(booked), settings(rebooked)) {
		return AdjustmentSettingsChanged
	}
	return AdjustmentOtherChange
}

func sameSums(a, b map[string]decimal.Decimal) bool {
	for c, v := range a {
		if !v.Equal(b[c]) {
			return false
		}
	}
	for c, v := range b {
		if !v.Equal(a[c]) {
			return false
		}
	}
	return true
}
