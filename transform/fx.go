package transform

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/revolut"
)

// Where a line's BaseRate came from (Line.RateSource), in the order of truth the booker
// applies them (see convert).
const (
	RateBase     = "base"     // the line is in the base currency: rate 1
	RateExchange = "exchange" // the exchange's (or own-account transfer's) own base-currency leg
	RateBill     = "bill"     // the card payment's bill amount in the base currency
	RateECB      = "ecb"      // the ECB euro reference rates (extract/rates)
	RateHMRC     = "hmrc"     // HMRC's monthly exchange rates (extract/rates)
	RateFile     = "file"     // the user's rates file (extract/rates)
)

// Line roles of the FX lines an entry gets after conversion to the base currency.
const (
	// RoleFXGainLoss is the realised FX result of an exchange or own-account transfer across
	// currencies, on the chart's FX gain/loss account, in the base currency. It comes with a
	// RoleFXClearingBase line of the opposite amount.
	RoleFXGainLoss = "fx_gain_loss"
	// RoleFXClearingBase takes the realised FX result off the FX clearing account, in the base
	// currency, so that the clearing account nets to zero in base currency entry by entry.
	RoleFXClearingBase = "fx_clearing_base"
	// RoleFXRounding carries what rounding each line to the base currency's minor units left
	// over, on the chart's FX rounding account (see addRounding).
	RoleFXRounding = "fx_rounding"
)

// KindMissingFXRate: no rate was found to value a foreign-currency entry in the base
// currency. The entry is booked with no base values (NULL, never zero) and is booked again
// on a later run, once the rate exists.
const KindMissingFXRate = "missing_fx_rate"

// RateBook answers the reference rate of a currency in the base currency for a day: 1 unit of
// currency is worth value units of the base currency, source names the publisher (RateECB,
// RateHMRC, RateFile). ok is false when no rate is known; the booker never guesses one. It
// is read only, so the Booker stays pure: the pipeline fills it (stored rates, the
// publisher) before booking, asking RatesNeeded what a record will need.
type RateBook interface {
	BaseRate(currency string, day time.Time) (value decimal.Decimal, source string, ok bool)
}

// RateNeed is one reference rate booking a record will ask the RateBook for: currency to
// the base currency on Day (a booking date, midnight UTC).
type RateNeed struct {
	Currency string
	Day      time.Time
}

// oneRate is the rate of the base currency itself.
var oneRate = decimal.NewNullDecimal(decimal.NewFromInt(1))

// exactDigits is the number of decimal places of a rate derived from a transaction's own
// amounts (an exchange's legs, a bill amount): base ÷ foreign is rarely a terminating decimal,
// and 18 places keep Round(amount × rate) equal to the exact value for any amount a bank
// moves. The line that defined the rate carries its exact base amount regardless.
const exactDigits = 18

// fxRate is the rate of one currency in an entry.
type fxRate struct {
	value  decimal.Decimal
	source string
}

// convert gives every line of the entry its base amount, rate and rate source, then books
// the FX lines the conversion calls for. rates are the transaction-derived rates (exchange
// legs, bill amount) by currency; the other currencies are asked of the RateBook on the
// entry's booking date. exact are base amounts known exactly, by line index (the leg that
// defined an exchange rate).
//
// A currency without a rate leaves every line of the entry without base values, with a
// missing_fx_rate exception: half-converted entries would not balance in base currency.
func (e *entry) convert(rates map[string]fxRate, exact map[int]decimal.Decimal) {
	b := e.b
	base := b.baseCurrency
	// Most entries are in the base currency only: their base amounts are their amounts, and
	// they balance in base currency because they balance in their currency.
	foreign := false
	for i := range e.lines {
		if !strings.EqualFold(e.lines[i].Currency, base) {
			foreign = true
			break
		}
	}
	if !foreign {
		for i := range e.lines {
			l := &e.lines[i]
			l.BaseAmount, l.BaseRate, l.RateSource = decimal.NullDecimal{Decimal: l.Amount, Valid: true}, oneRate, RateBase
		}
		e.baseOnly = true
		return
	}
	if rates == nil {
		rates = map[string]fxRate{}
	}
	var missing []string
	for _, l := range e.lines {
		cur := strings.ToUpper(l.Currency)
		if _, ok := rates[cur]; ok {
			continue
		}
		if cur == base {
			rates[cur] = fxRate{value: oneRate.Decimal, source: RateBase}
			continue
		}
		if b.rates != nil {
			if v, src, ok := b.rates.BaseRate(cur, e.date); ok && v.IsPositive() {
				rates[cur] = fxRate{value: v, source: src}
				continue
			}
		}
		if !slices.Contains(missing, cur) {
			missing = append(missing, cur)
		}
	}
	if len(missing) > 0 {
		for _, cur := range missing {
			e.except(KindMissingFXRate, fmt.Sprintf("no %s→%s rate for %s from %s; the entry was booked without base-currency values and will be valued once the rate exists",
				cur, base, e.date.Format(time.DateOnly), b.rateSourceName()))
		}
		return
	}
	for i := range e.lines {
		l := &e.lines[i]
		r := rates[strings.ToUpper(l.Currency)]
		amt := Round(l.Amount.Mul(r.value), base)
		if x, ok := exact[i]; ok {
			amt = x
		}
		l.BaseAmount, l.BaseRate, l.RateSource = decimal.NewNullDecimal(amt), decimal.NewNullDecimal(r.value), r.source
	}
	e.addRealised(rates)
	e.addRounding(rates)
}

// rateSourceName names the reference-rate source for an exception.
func (b *Booker) rateSourceName() string {
	if b.rates == nil {
		return "no rate source (none is configured)"
	}
	return cmp.Or(b.rateSource, "the rate source")
}

// addRealised books the realised FX result of an entry whose FX clearing lines are in two or
// more currencies (an exchange, an own-account transfer across currencies): each currency's
// clearing lines net to zero in their currency, but in the base currency they leave the
// difference between what was given and what was received, at the rates used. That
// difference is taken off FX clearing and put on FX gain/loss by a pair of base-currency lines
// (RoleFXClearingBase, RoleFXGainLoss) of opposite amounts: both are ordinary base-currency
// lines (Amount = BaseAmount, rate 1), so the entry still sums to zero per currency and in
// base currency, and the clearing account nets to zero in base currency after every exchange.
//
// A gain is a credit on FX gain/loss (negative), a loss a debit.
func (e *entry) addRealised(rates map[string]fxRate) {
	b := e.b
	base := b.baseCurrency
	residue := decimal.Zero
	currencies := map[string]bool{}
	first := -1
	for i, l := range e.lines {
		if l.Key.Role != RoleFXClearing {
			continue
		}
		currencies[strings.ToUpper(l.Currency)] = true
		residue = residue.Add(l.BaseAmount.Decimal)
		if first < 0 {
			first = i
		}
	}
	if len(currencies) < 2 || residue.IsZero() {
		return
	}
	add := func(role, code string, amount decimal.Decimal) {
		l := e.newLine(0, role, code, "", amount, base)
		l.Description = e.lines[first].Description
		l.BaseAmount, l.BaseRate, l.RateSource = decimal.NewNullDecimal(l.Amount), oneRate, RateBase
		e.add(l)
	}
	add(RoleFXClearingBase, b.chart.FXClearing, residue.Neg())
	add(RoleFXGainLoss, b.chart.FXGainLoss, residue)
}

// addRounding books what per-line rounding to the base currency left: each line's base amount
// is rounded on its own, so the lines of a foreign-currency entry (a bank line against net and
// VAT lines) can miss zero in base currency by a minor unit or so.
//
// No base-currency line can carry it: a line in the base currency has BaseAmount = Amount, so
// any set of them that sums to zero in its currency sums to zero in base currency too. The
// rounding line is therefore in the currency of the entry's largest line with Amount 0 (the
// entry's per-currency sums are untouched) and BaseAmount = the residue, at that currency's
// rate: the one kind of line whose BaseAmount is not Round(Amount × BaseRate). Every residue
// is rounding, never an FX result: the realised result of an exchange is booked by
// addRealised, and each currency's lines of an exchange net to zero in base currency (the
// same rate, rounding symmetric around zero).
func (e *entry) addRounding(rates map[string]fxRate) {
	b := e.b
	sum := decimal.Zero
	at := 0
	for i, l := range e.lines {
		sum = sum.Add(l.BaseAmount.Decimal)
		if l.Amount.Abs().GreaterThan(e.lines[at].Amount.Abs()) {
			at = i
		}
	}
	if sum.IsZero() {
		return
	}
	cur := strings.ToUpper(e.lines[at].Currency)
	r := rates[cur]
	l := e.newLine(0, RoleFXRounding, b.chart.FXRounding, "", decimal.Zero, cur)
	l.Description = e.lines[at].Description
	l.BaseAmount, l.BaseRate, l.RateSource = decimal.NewNullDecimal(sum.Neg()), decimal.NewNullDecimal(r.value), r.source
	e.add(l)
}

// txRates returns the rates a transaction's own amounts give (the first two rules of the
// order of truth) and the exact base amounts of the lines that define them, by line index:
//
//   - an exchange or own-account transfer (several legs) in exactly two currencies, one of
//     them the base: the other's rate is |base legs| / |foreign legs|, exactly what was
//     exchanged, for every line of the entry in that currency (bank, fee, clearing);
//   - a one-leg transaction (a card payment) in a foreign currency whose bill amount is in the
//     base currency: bill_amount / leg amount.
func (b *Booker) txRates(e *entry, tx revolut.Transaction) (map[string]fxRate, map[int]decimal.Decimal) {
	base := b.baseCurrency
	if len(tx.Legs) > 1 {
		sums := map[string]decimal.Decimal{}
		for _, leg := range tx.Legs {
			cur := strings.ToUpper(leg.Currency)
			sums[cur] = sums[cur].Add(Round(leg.Amount, cur))
		}
		if len(sums) != 2 {
			return nil, nil
		}
		baseSum, ok := sums[base]
		if !ok || baseSum.IsZero() {
			return nil, nil
		}
		for cur, s := range sums {
			if cur == base || s.IsZero() {
				continue
			}
			rate := baseSum.Abs().DivRound(s.Abs(), exactDigits)
			// The foreign bank line of a two-leg exchange is worth exactly the base leg.
			exact := map[int]decimal.Decimal{}
			for i, l := range e.lines {
				if l.Key.Role == RoleBank && strings.EqualFold(l.Currency, cur) && l.Amount.Equal(s) {
					exact[i] = baseSum.Abs().Mul(decimal.NewFromInt(int64(s.Sign())))
				}
				if l.Key.Role == RoleFXClearing && strings.EqualFold(l.Currency, cur) && l.Amount.Equal(s.Neg()) {
					exact[i] = baseSum.Abs().Mul(decimal.NewFromInt(int64(-s.Sign())))
				}
			}
			return map[string]fxRate{cur: {value: rate, source: RateExchange}}, exact
		}
		return nil, nil
	}
	leg := tx.Legs[0]
	cur := strings.ToUpper(leg.Currency)
	if cur == base || !leg.BillAmount.Valid || !strings.EqualFold(strings.TrimSpace(leg.BillCurrency), base) {
		return nil, nil
	}
	amt, bill := Round(leg.Amount, cur).Abs(), Round(leg.BillAmount.Decimal, base).Abs()
	if amt.IsZero() || bill.IsZero() {
		return nil, nil
	}
	exact := map[int]decimal.Decimal{}
	for i, l := range e.lines {
		if l.Key.Role == RoleBank && l.Amount.Abs().Equal(amt) {
			exact[i] = bill.Mul(decimal.NewFromInt(int64(l.Amount.Sign())))
		}
	}
	return map[string]fxRate{cur: {value: bill.DivRound(amt, exactDigits), source: RateBill}}, exact
}

// RatesNeeded lists the reference rates booking tx will ask the RateBook for (one per foreign
// currency not valued by the transaction's own amounts), so that the caller can fetch them
// beforehand; BookTransaction itself does no I/O. The list is what the booking asks, never
// less: a rate it lists and the booking does not use costs a lookup, nothing else. A refund's
// original is booked only for its proportions, so it needs no rate.
func (b *Booker) RatesNeeded(tx revolut.Transaction, expenses []revolut.Expense) []RateNeed {
	switch tx.State {
	case revolut.TransactionCompleted, revolut.TransactionReverted:
	default:
		return nil
	}
	if len(tx.Legs) == 0 {
		return nil
	}
	at := cmp.Or(tx.CompletedAt.Time, tx.UpdatedAt.Time, tx.CreatedAt.Time)
	if at.IsZero() {
		return nil
	}
	day := bookingDate(at.UTC(), b.loc)
	e := &entry{b: b}
	for i, leg := range tx.Legs {
		cur := strings.ToUpper(leg.Currency)
		e.lines = append(e.lines, Line{Key: LineKey{Index: i, Role: RoleBank}, Amount: Round(leg.Amount, cur), Currency: cur})
	}
	known, _ := b.txRates(e, tx)
	var out []RateNeed
	for _, leg := range tx.Legs {
		cur := strings.ToUpper(strings.TrimSpace(leg.Currency))
		if cur == "" || cur == b.baseCurrency || known[cur].source != "" {
			continue
		}
		n := RateNeed{Currency: cur, Day: day}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// ExpenseRatesNeeded is RatesNeeded for an expense booked on its own (BookExpense).
func (b *Booker) ExpenseRatesNeeded(x revolut.Expense) []RateNeed {
	cur := strings.ToUpper(strings.TrimSpace(x.SpentAmount.Currency))
	if cur == "" && len(x.Splits) > 0 {
		cur = strings.ToUpper(strings.TrimSpace(x.Splits[0].Amount.Currency))
	}
	if cur == "" || cur == b.baseCurrency {
		return nil
	}
	at := reimbursementDate(x)
	if at.IsZero() {
		return nil
	}
	return []RateNeed{{Currency: cur, Day: bookingDate(at.UTC(), b.loc)}}
}

// baseBalanced reports whether the lines of an entry that all have base amounts sum to zero
// in base currency, and the sum when not. Lines without base amounts (a missing rate) are
// not checked: they are all without one.
func baseBalanced(lines []Line) (decimal.Decimal, bool) {
	sum := decimal.Zero
	for _, l := range lines {
		if !l.BaseAmount.Valid {
			return decimal.Zero, true
		}
		sum = sum.Add(l.BaseAmount.Decimal)
	}
	return sum, sum.IsZero()
}
