package revoluttest

import (
	"encoding/hex"
	"math/rand/v2"
	"time"
)

// The fake keeps its data in compact internal records rather than in revolut model values:
// a million transactions held as models (big.Int-backed decimals, formatted strings) would
// need several gigabytes, while these records need a few hundred bytes each. Amounts are
// integers in the currency's minor units, times are Unix nanoseconds in UTC, and repeated
// texts (descriptions, references) are shared strings. JSON is rendered per page on demand.

// uuid is a 16-byte identifier rendered in the canonical 36-character form.
type uuid [16]byte

func newUUID(r *rand.Rand) uuid {
	var u uuid
	a, b := r.Uint64(), r.Uint64()
	for i := range 8 {
		u[i] = byte(a >> (8 * i))
		u[8+i] = byte(b >> (8 * i))
	}
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u
}

func (u uuid) isZero() bool { return u == uuid{} }

func (u uuid) appendTo(b []byte) []byte {
	var buf [36]byte
	hex.Encode(buf[0:8], u[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], u[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], u[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], u[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:], u[10:])
	return append(b, buf[:]...)
}

func (u uuid) String() string { return string(u.appendTo(nil)) }

func parseUUID(s string) (uuid, bool) {
	var u uuid
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	src := []byte(s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:])
	if _, err := hex.Decode(u[:], src); err != nil {
		return u, false
	}
	return u, true
}

// currency is an ISO 4217 currency with its minor-unit exponent and an indicative value
// in millionths of a pound, used only to derive plausible converted amounts.
type currency struct {
	code       string
	exp        int32
	microGBP   int64
	accountOK  bool
	minorScale int64
}

var currencies = []currency{
	{code: "GBP", exp: 2, microGBP: 1_000_000, accountOK: true, minorScale: 100},
	{code: "EUR", exp: 2, microGBP: 860_000, accountOK: true, minorScale: 100},
	{code: "USD", exp: 2, microGBP: 790_000, accountOK: true, minorScale: 100},
	{code: "JPY", exp: 0, microGBP: 5_300, accountOK: true, minorScale: 1},
	{code: "CHF", exp: 2, microGBP: 890_000, minorScale: 100},
	{code: "SEK", exp: 2, microGBP: 73_000, minorScale: 100},
	{code: "PLN", exp: 2, microGBP: 190_000, minorScale: 100},
}

const (
	curGBP = iota
	curEUR
	curUSD
	curJPY
	curCHF
	curSEK
	curPLN
)

// convert turns an amount in minor units of one currency into minor units of another at the
// indicative rate, rounding towards zero. Integer arithmetic keeps generated figures exact.
func convert(minor int64, from, to int) int64 {
	if from == to {
		return minor
	}
	f, t := currencies[from], currencies[to]
	return minor * f.microGBP * t.minorScale / (t.microGBP * f.minorScale)
}

// Transaction types and states are indices into these tables so a record stays small.
var txTypeNames = []string{
	"card_payment", "card_refund", "exchange", "transfer", "fee", "topup", "atm", "tax",
	"card_cashback", // an unknown type, only on a quirk record
	"card_chargeback", "card_credit", "charge", "charge_refund", "loan", "refund", "topup_return",
	"tax_refund", "rev_payment",
}

const (
	tCardPayment = iota
	tCardRefund
	tExchange
	tTransfer
	tFee
	tTopup
	tATM
	tTax
	tUnknown
	tCardChargeback
	tCardCredit
	tCharge
	tChargeRefund
	tLoan
	tRefund
	tTopupReturn
	tTaxRefund
	tRevPayment
)

var txStateNames = []string{"created", "pending", "completed", "declined", "failed", "reverted", "on_hold"}

const (
	sCreated = iota
	sPending
	sCompleted
	sDeclined
	sFailed
	sReverted
	sUnknown // only on a quirk record
)

var reasonCodes = []string{
	"", "insufficient_balance", "do_not_honour", "card_expired", "transaction_not_allowed_for_cardholder",
	"cardholder_verification_failed", "rejected_by_beneficiary_bank", "compliance_check_failed",
}

const (
	counterpartyNone = iota
	counterpartySelf
	counterpartyRevolut
	counterpartyExternal
	counterpartyMember // a team member's own Revolut account: reimbursements and repayments
)

var counterpartyTypeNames = []string{"", "self", "revolut", "external", "revolut"}

// txn is one transaction. Indices refer to the server's tables (accounts, merchants, cards).
type txn struct {
	created, updated, completed int64 // Unix nanoseconds; completed 0 = not set
	id                          uuid
	related                     uuid
	merchant                    int32 // -1 = none
	card                        int32 // -1 = none
	expense                     int32 // -1 = none; index of the expense about this transaction
	kind                        uint8
	state                       uint8
	reason                      uint8
	quirk                       uint8 // quirkNone for ordinary records
	requestID                   string
	reference                   string
	legs                        []leg
}

// leg is one side of a transaction on one of the business's accounts.
type leg struct {
	id     uuid
	amount int64 // signed, minor units of the account currency
	fee    int64 // positive, minor units; valid when hasFee
	// authorised is the amount served while the transaction has not completed, when it
	// differs from the completed amount (a tip, a hotel's final bill, fuel); 0 = the same.
	authorised int64
	bill       int64 // signed, minor units of billCur; valid when billCur >= 0
	balance    int64 // account balance after the leg; valid when hasBalance
	account    uint8
	billCur    int8 // -1 = none
	hasFee     bool
	hasBalance bool
	cpType     uint8 // counterpartyNone, Self, Revolut, External
	cpIndex    int16 // own account index (self), counterparty index, or team member index (member)
	desc       string
}

func (l *leg) net() int64 {
	if l.hasFee {
		return l.amount - l.fee
	}
	return l.amount
}

// expense is one expense record.
type expense struct {
	id        uuid
	tx        int32 // -1 = none (external reimbursement, mileage)
	date      int64 // expense_date, Unix nanoseconds
	submitted int64
	completed int64
	seq       int32 // creation order; breaks ties in expense_date order
	state     uint8
	quirk     bool // the expense_date is served without zero padding
	// refundAsked and refundPaid script the refund_requested/refunded states of an expense
	// an approver sent back as personal spend (0 = never). They apply from that instant
	// while the expense is still awaiting review; see (*Server).expenseState.
	refundAsked int64
	refundPaid  int64
	ttype       uint8 // index into expenseTypeNames
	payer       int16 // team member index, -1 = the business
	merchant    string
	description string
	spent       int64
	spentCur    uint8
	splits      []split
	labels      []labelRef
	receipts    []receipt
}

type split struct {
	amount int64
	cur    uint8
	cat    uint8
	tax    uint8
}

type labelRef struct {
	group uint8
	label uint16
}

type receipt struct {
	id     uuid
	format uint8 // receiptPDF, receiptJPEG, receiptPNG
}

var expenseStateNames = []string{
	"missing_info", "awaiting_review", "rejected", "pending_reimbursement", "refund_requested",
	"refunded", "approved", "reverted",
}

const (
	eMissingInfo = iota
	eAwaitingReview
	eRejected
	ePendingReimbursement
	eRefundRequested
	eRefunded
	eApproved
	eReverted
)

var expenseTypeNames = []string{"card_payment", "atm", "fee", "transfer", "external", "mileage_reimbursement", "rev_payment"}

const (
	etCardPayment = iota
	etATM
	etFee
	etTransfer
	etExternal
	etMileage
	etRevPayment
)

func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

const (
	msNanos   = int64(time.Millisecond)
	hourNanos = int64(time.Hour)
	dayNanos  = 24 * hourNanos
)

// withMicros moves an instant on a millisecond boundary to a random microsecond within
// that millisecond: some API timestamps carry six decimals, as the spec's examples do.
func withMicros(r *rand.Rand, at int64) int64 {
	return at - at%msNanos + r.Int64N(1000)*int64(time.Microsecond)
}

// between returns a random instant in [lo, hi) on a millisecond boundary, as the API's own
// timestamps are.
func between(r *rand.Rand, lo, hi int64) int64 {
	if hi <= lo {
		return lo - lo%msNanos
	}
	v := lo + r.Int64N(hi-lo)
	return v - v%msNanos
}
