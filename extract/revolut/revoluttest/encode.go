package revoluttest

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/revledger/revledger/extract/revolut"
)

// Records are rendered by hand rather than through encoding/json: a page of 1000
// transactions is rendered on every request, and the wire form has to be exactly what the
// API sends (amounts as JSON numbers without trailing zeros, optional fields left out).

func appendKey(b []byte, first bool, key string) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			q, _ := json.Marshal(s) // rare: escapes and non-ASCII text
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendRefs appends `,"references":[{"name":…,"value":…},…]` when refs is not empty: the
// card references, on a card and on a card transaction alike (schema CardReference).
func appendRefs(b []byte, refs []revolut.CardReference) []byte {
	if len(refs) == 0 {
		return b
	}
	b = appendKey(b, false, "references")
	b = append(b, '[')
	for i, ref := range refs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendStr(append(b, '{'), true, "name", ref.Name)
		b = appendStr(b, false, "value", ref.Value)
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendStr(b []byte, first bool, key, val string) []byte {
	return appendString(appendKey(b, first, key), val)
}

// apiMicroFormat is the form of a timestamp with microseconds, as most of the spec's
// examples are ("2020-05-20T12:00:00.123456Z").
const apiMicroFormat = "2006-01-02T15:04:05.000000Z"

// appendTime writes an instant with milliseconds, or with microseconds when it has any.
func appendTime(b []byte, n int64) []byte {
	layout := revolut.APIFormat
	if n%msNanos != 0 {
		layout = apiMicroFormat
	}
	b = append(b, '"')
	b = fromNanos(n).AppendFormat(b, layout)
	return append(b, '"')
}

func appendID(b []byte, first bool, key string, u uuid) []byte {
	b = appendKey(b, first, key)
	b = append(b, '"')
	b = u.appendTo(b)
	return append(b, '"')
}

// appendAmount writes minor units with exp decimals as a JSON number, dropping trailing
// zeros as a double would ("24.3", "200", "-1.16").
func appendAmount(b []byte, minor int64, exp int32) []byte {
	if minor < 0 {
		b = append(b, '-')
		minor = -minor
	}
	if exp == 0 {
		return strconv.AppendInt(b, minor, 10)
	}
	scale := int64(1)
	for range exp {
		scale *= 10
	}
	b = strconv.AppendInt(b, minor/scale, 10)
	frac := minor % scale
	if frac == 0 {
		return b
	}
	var buf [18]byte
	digits := buf[:exp]
	for i := int(exp) - 1; i >= 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	for len(digits) > 0 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
	}
	b = append(b, '.')
	return append(b, digits...)
}

func appendMoney(b []byte, minor int64, cur int) []byte {
	b = append(b, `{"amount":`...)
	b = appendAmount(b, minor, currencies[cur].exp)
	b = append(b, `,"currency":"`...)
	b = append(b, currencies[cur].code...)
	return append(b, `"}`...)
}

// appendTx renders a transaction exactly as GET /transactions does.
func (s *Server) appendTx(b []byte, t *txn) []byte {
	w := s.w
	q := quirkOf(t)
	b = append(b, '{')
	b = appendStr(b, true, "id", txIDString(t))
	typ := txTypeNames[t.kind]
	b = appendStr(b, false, "type", typ)
	if t.requestID != "" {
		b = appendStr(b, false, "request_id", t.requestID)
	}
	b = appendStr(b, false, "state", txStateNames[t.state])
	if t.reason != 0 {
		b = appendStr(b, false, "reason_code", reasonCodes[t.reason])
	}
	b = appendKey(b, false, "created_at")
	b = appendQuirkTime(b, t.created, q)
	b = appendKey(b, false, "updated_at")
	b = appendQuirkTime(b, t.updated, q)
	if t.completed != 0 {
		b = appendKey(b, false, "completed_at")
		b = appendQuirkTime(b, t.completed, q)
	}
	if !t.related.isZero() {
		b = appendID(b, false, "related_transaction_id", t.related)
	}
	if t.merchant >= 0 {
		m := &w.merchants[t.merchant]
		b = appendKey(b, false, "merchant")
		b = appendID(append(b, '{'), true, "id", m.id)
		b = appendStr(b, false, "name", m.name)
		b = appendStr(b, false, "full_name", m.fullName)
		b = appendStr(b, false, "city", m.city)
		b = appendStr(b, false, "category_code", m.mcc)
		b = appendStr(b, false, "country", m.cc)
		b = append(b, '}')
	}
	if t.reference != "" {
		b = appendStr(b, false, "reference", t.reference)
	}
	b = appendKey(b, false, "legs")
	b = append(b, '[')
	for i := range t.legs {
		if i > 0 {
			b = append(b, ',')
		}
		b = s.appendLeg(b, &t.legs[i], q, t.completed == 0)
	}
	b = append(b, ']')
	if t.card >= 0 {
		c := &w.cards[t.card]
		b = appendKey(b, false, "card")
		b = appendID(append(b, '{'), true, "id", c.id)
		b = appendStr(b, false, "card_number", c.bin+"******"+c.lastDigits)
		if c.holder >= 0 {
			m := &w.members[c.holder]
			b = appendStr(b, false, "first_name", m.first)
			b = appendStr(b, false, "last_name", m.last)
			b = appendStr(b, false, "phone", m.phone)
		}
		b = appendRefs(b, c.refs)
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendLeg renders one leg; uncompleted says the transaction never completed, so a leg
// whose amount changes on completion shows the authorised amount.
func (s *Server) appendLeg(b []byte, l *leg, q string, uncompleted bool) []byte {
	acc := &s.w.accounts[l.account]
	cur := currencies[acc.cur]
	b = appendID(append(b, '{'), true, "leg_id", l.id)
	b = appendID(b, false, "account_id", acc.id)
	switch l.cpType {
	case counterpartySelf:
		b = appendKey(b, false, "counterparty")
		b = appendStr(append(b, '{'), true, "account_type", "self")
		b = appendID(b, false, "account_id", s.w.accounts[l.cpIndex].id)
		b = append(b, '}')
	case counterpartyRevolut, counterpartyExternal:
		cp := &s.w.counterparties[l.cpIndex]
		b = appendKey(b, false, "counterparty")
		b = appendStr(append(b, '{'), true, "account_type", counterpartyTypeNames[l.cpType])
		b = appendID(b, false, "id", cp.id)
		b = appendID(b, false, "account_id", cp.accountID)
		b = append(b, '}')
	case counterpartyMember:
		b = appendKey(b, false, "counterparty")
		b = appendStr(append(b, '{'), true, "account_type", counterpartyTypeNames[l.cpType])
		b = appendID(b, false, "id", s.w.members[l.cpIndex].id)
		b = append(b, '}')
	}
	b = appendKey(b, false, "amount")
	if q == "malformed" {
		b = append(b, `"abc"`...)
	} else if uncompleted && l.authorised != 0 {
		b = appendAmount(b, l.authorised, cur.exp)
	} else {
		b = appendAmount(b, l.amount, cur.exp)
	}
	if l.hasFee {
		b = appendKey(b, false, "fee")
		b = appendAmount(b, l.fee, cur.exp)
	}
	b = appendStr(b, false, "currency", cur.code)
	if l.billCur >= 0 {
		bc := currencies[l.billCur]
		b = appendKey(b, false, "bill_amount")
		b = appendAmount(b, l.bill, bc.exp)
		b = appendStr(b, false, "bill_currency", bc.code)
	}
	if l.desc != "" {
		b = appendStr(b, false, "description", l.desc)
		if q == "nul_escape" {
			b = append(b[:len(b)-1], `\u0000"`...) // inside the closing quote
		}
	}
	if l.hasBalance {
		b = appendKey(b, false, "balance")
		b = appendAmount(b, l.balance, cur.exp)
	}
	return append(b, '}')
}

// appendExpense renders an expense exactly as GET /expenses does.
func (s *Server) appendExpense(b []byte, e *expense) []byte {
	w := s.w
	b = appendID(append(b, '{'), true, "id", e.id)
	state, completed := s.expenseState(e)
	b = appendStr(b, false, "state", expenseStateNames[state])
	b = appendStr(b, false, "transaction_type", expenseTypeNames[e.ttype])
	if e.description != "" {
		b = appendStr(b, false, "description", e.description)
	}
	if e.submitted != 0 {
		b = appendKey(b, false, "submitted_at")
		b = appendTime(b, e.submitted)
	}
	if completed != 0 {
		b = appendKey(b, false, "completed_at")
		b = appendTime(b, completed)
	}
	b = appendStr(b, false, "payer", s.payerName(e.payer))
	if e.merchant != "" {
		b = appendStr(b, false, "merchant", e.merchant)
	}
	if e.tx >= 0 {
		b = appendID(b, false, "transaction_id", s.txs[e.tx].id)
	}
	b = appendKey(b, false, "expense_date")
	if e.quirk {
		b = appendQuirkTime(b, e.date, "unpadded_date")
	} else {
		b = appendTime(b, e.date)
	}
	b = appendKey(b, false, "labels")
	b = append(b, '{')
	for i, lr := range e.labels {
		g := &w.labelGroups[lr.group]
		b = appendKey(b, i == 0, g.name)
		b = appendString(append(b, '['), g.labels[lr.label].name)
		b = append(b, ']')
	}
	b = append(b, '}')
	b = appendKey(b, false, "splits")
	b = append(b, '[')
	for i, sp := range e.splits {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendKey(append(b, '{'), true, "amount")
		b = appendMoney(b, sp.amount, int(sp.cur))
		c := &w.categories[sp.cat]
		b = appendKey(b, false, "category")
		b = appendID(append(b, '{'), true, "id", c.id)
		b = appendStr(b, false, "name", c.name)
		if c.code != "" {
			b = appendStr(b, false, "code", c.code)
		}
		b = append(b, '}')
		tr := &w.taxRates[sp.tax]
		b = appendKey(b, false, "tax_rate")
		b = appendID(append(b, '{'), true, "id", tr.id)
		b = appendStr(b, false, "name", tr.name)
		if !tr.omitInSplit {
			b = appendKey(b, false, "percentage")
			b = append(b, tr.percent...)
		}
		b = append(b, '}', '}')
	}
	b = append(b, ']')
	b = appendKey(b, false, "receipt_ids")
	b = append(b, '[')
	for i, rc := range e.receipts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = rc.id.appendTo(b)
		b = append(b, '"')
	}
	b = append(b, ']')
	b = appendKey(b, false, "spent_amount")
	b = appendMoney(b, e.spent, int(e.spentCur))
	return append(b, '}')
}

// expenseState is the state and completed_at an expense is served with. The scripted events
// move an expense through review; an expense sent back as personal spend (refundAsked) is
// refund_requested from that instant while it is still awaiting review, and refunded once
// the employee has paid it back (refundPaid), with completed_at then. The states follow the
// instant the fake has applied events up to, so Truth and the handlers agree.
func (s *Server) expenseState(e *expense) (state uint8, completed int64) {
	state, completed = e.state, e.completed
	if e.refundAsked == 0 || e.state != eAwaitingReview || s.applied < e.refundAsked {
		return state, completed
	}
	if e.refundPaid != 0 && s.applied >= e.refundPaid {
		return eRefunded, e.refundPaid
	}
	return eRefundRequested, 0
}

// businessName pays for expenses that no team member made (fees, company cards).
const businessName = "Revledger Demo Ltd"

func (s *Server) payerName(i int16) string {
	if i < 0 {
		return businessName
	}
	m := &s.w.members[i]
	return m.first + " " + m.last
}

// txIDString is the id as served; the long_id quirk record carries one hex digit too many
// in its first group, like an example in the official documentation.
func txIDString(t *txn) string {
	if quirkOf(t) == "long_id" {
		return "f" + t.id.String()
	}
	return t.id.String()
}

// appendQuirkTime writes a timestamp in the odd form a quirk record calls for.
func appendQuirkTime(b []byte, n int64, q string) []byte {
	t := fromNanos(n)
	var layout string
	switch q {
	case "unpadded_date":
		layout = "2006-1-2T15:04:05.000Z"
	case "micro_fraction":
		layout = "2006-01-02T15:04:05.000000Z"
	case "no_fraction":
		layout = time.RFC3339
	default:
		return appendTime(b, n)
	}
	b = append(b, '"')
	b = t.AppendFormat(b, layout)
	return append(b, '"')
}
