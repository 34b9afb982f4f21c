package revoluttest

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// event is a scripted change: a transaction completing, declining or reverting, or an
// expense moving through its review states. Events are applied in (at, seq) order, both
// while the history is built and later as the fake's clock moves, so the same seed gives
// the same data however the time is advanced.
type event struct {
	at   int64
	seq  uint64
	idx  int32 // transaction or expense index
	kind uint8
	arg  uint8
}

const (
	evTxComplete = iota
	evTxDecline
	evTxFail
	evTxRevert
	evExpSubmit
	evExpApprove
	evExpReject
	evExpReopen
	evExpReimbursed
)

// bundle is what the generator makes for one slot: a transaction (unless it is a
// reimbursement) with its scripted events, and possibly an expense with its own events.
// Events carry no index yet; release assigns them.
type bundle struct {
	hasTx     bool
	tx        txn
	txEvents  []event
	exp       *expense
	expEvents []event
}

// paymentRef remembers a recent card payment so that a refund can point back to it.
type paymentRef struct {
	id       uuid
	account  uint8
	card     int32
	merchant int32
	amount   int64
	bill     int64
	billCur  int8
}

type generator struct {
	r        *rand.Rand
	w        *world
	pExpense float64
	recent   [256]paymentRef
	nRecent  int
	seq      int // running counter for references
	// Recent transfers out, charges and top-ups, for refund, charge_refund and
	// topup_return to point back to.
	transfers  [64]paymentRef
	nTransfers int
	charge     *paymentRef
	topup      *paymentRef
	// owed lists the transfers to or from a team member that are due: a reimbursement's
	// payout and the repayment of an expense sent back as personal spend. The first
	// ordinary slot at or after a transfer's due time makes it.
	owed []memberTransfer
}

// memberTransfer is a transfer between the business and a team member's own account:
// amount is signed on the business's account (negative for a payout).
type memberTransfer struct {
	due     int64
	member  int16
	account uint8
	amount  int64
	ref     string
}

// Slot kinds of the history plan.
const (
	slotTx = iota
	slotBulk
	slotReimbursement
	slotQuirk
)

type slot struct {
	at   int64
	arg  int32
	kind uint8
}

// kindWeights: per 1000 ordinary transactions. The rarer types (chargebacks, card credits,
// charges and their refunds, loans, refunds of transfers, returned top-ups, tax refunds)
// come a few per thousand, as they do in a real account.
var kindWeights = []struct {
	kind   int
	weight int
}{
	{kCardPayment, 566}, {kCardRefund, 28}, {kExchange, 40}, {kInternal, 30}, {kTransferOut, 100},
	{kTransferIn, 90}, {kFee, 40}, {kTopup, 30}, {kATM, 30}, {kTax, 10},
	{kChargeback, 3}, {kCardCredit, 2}, {kCharge, 4}, {kChargeRefund, 3}, {kLoan, 2},
	{kRefund, 3}, {kTopupReturn, 2}, {kTaxRefund, 2}, {kRevPayment, 15},
}

const (
	kCardPayment = iota
	kCardRefund
	kExchange
	kInternal
	kTransferOut
	kTransferIn
	kFee
	kTopup
	kATM
	kTax
	kChargeback
	kCardCredit
	kCharge
	kChargeRefund
	kLoan
	kRefund
	kTopupReturn
	kTaxRefund
	kRevPayment
)

func (g *generator) pickKind() int {
	n := g.r.IntN(1000)
	for _, kw := range kindWeights {
		if n < kw.weight {
			return kw.kind
		}
		n -= kw.weight
	}
	return kCardPayment
}

func (g *generator) amountIn(cur int, loMajor, hiMajor int64) int64 {
	scale := currencies[cur].minorScale
	lo, hi := loMajor*scale, hiMajor*scale
	return lo + g.r.Int64N(hi-lo+1)
}

func (g *generator) newTx(kind uint8, at int64) txn {
	return txn{id: newUUID(g.r), created: at, updated: at, kind: kind, state: sPending, merchant: -1, card: -1, expense: -1}
}

func (g *generator) newLeg(account int, amount int64) leg {
	return leg{id: newUUID(g.r), account: uint8(account), amount: amount, billCur: -1}
}

func ev(kind uint8, at int64) event { return event{kind: kind, at: at} }

// generate makes the bundle for one ordinary transaction of the given kind at instant at.
func (g *generator) generate(kind int, at int64) bundle {
	r := g.r
	w := g.w
	if i := g.dueTransfer(at); i >= 0 {
		mt := g.owed[i]
		g.owed = append(g.owed[:i], g.owed[i+1:]...)
		return g.memberPayment(mt, at)
	}
	var b bundle
	b.hasTx = true
	switch kind {
	case kChargeback, kCardCredit, kCharge, kChargeRefund, kLoan, kRefund, kTopupReturn, kTaxRefund, kRevPayment:
		return g.rareKind(kind, at)
	case kCardRefund:
		if g.nRecent == 0 {
			return g.generate(kCardPayment, at)
		}
		p := g.recent[r.IntN(min(g.nRecent, len(g.recent)))]
		t := g.newTx(tCardRefund, at)
		t.related, t.card, t.merchant = p.id, p.card, p.merchant
		amt := -p.amount
		if r.IntN(3) == 0 { // partial refund
			amt = max(1, amt/2)
		}
		l := g.newLeg(int(p.account), amt)
		l.desc = w.merchants[p.merchant].name
		if p.billCur >= 0 {
			l.billCur, l.bill = p.billCur, -p.bill*amt/(-p.amount)
		}
		t.legs = []leg{l}
		b.tx = t
		b.txEvents = []event{ev(evTxComplete, between(r, at+hourNanos, at+3*dayNanos))}
	case kExchange:
		t := g.newTx(tExchange, at)
		from, to := 0, 2+r.IntN(3)
		if r.IntN(4) == 0 {
			from, to = to, from
		}
		fc, tc := w.accounts[from].cur, w.accounts[to].cur
		out := g.amountIn(fc, 100, 10000)
		if fc == curJPY {
			out = g.amountIn(fc, 20000, 1500000)
		}
		l1 := g.newLeg(from, -out)
		l1.desc = "Exchanged to " + currencies[tc].code
		if r.IntN(10) < 3 {
			l1.hasFee, l1.fee = true, max(1, out*4/1000)
		}
		l2 := g.newLeg(to, convert(out, fc, tc))
		l2.desc = "Exchanged from " + currencies[fc].code
		t.legs = []leg{l1, l2}
		b.tx = t
		b.txEvents = []event{ev(evTxComplete, at)}
	case kInternal:
		t := g.newTx(tTransfer, at)
		from, to := 0, 1
		if r.IntN(3) == 0 {
			from, to = 1, 0
		}
		amt := g.amountIn(curGBP, 500, 20000)
		l1 := g.newLeg(from, -amt)
		l1.cpType, l1.cpIndex, l1.desc = counterpartySelf, int16(to), "To "+w.accounts[to].name
		l2 := g.newLeg(to, amt)
		l2.cpType, l2.cpIndex, l2.desc = counterpartySelf, int16(from), "From "+w.accounts[from].name
		t.legs = []leg{l1, l2}
		t.reference = "Internal transfer"
		b.tx = t
		b.txEvents = []event{ev(evTxComplete, at)}
	case kTransferOut:
		cpi := r.IntN(len(w.counterparties))
		b = g.payout(at, cpi, "", g.amountIn(curGBP, 50, 20000))
	case kTransferIn:
		cpi := r.IntN(len(w.counterparties))
		cp := &w.counterparties[cpi]
		acc := accountFor(cp.cur)
		t := g.newTx(tTransfer, at)
		l := g.newLeg(acc, g.amountIn(cp.cur, 100, 50000))
		l.cpType, l.cpIndex, l.desc = cpTypeOf(cp), int16(cpi), "Payment from "+cp.name
		t.legs = []leg{l}
		g.seq++
		t.reference = fmt.Sprintf("INV-%06d", g.seq)
		b.tx = t
		b.txEvents = []event{ev(evTxComplete, at)}
	case kFee:
		t := g.newTx(tFee, at)
		l := g.newLeg(0, -g.amountIn(curGBP, 1, 50))
		l.desc = []string{"Monthly plan fee", "International transfer fee", "Card delivery fee"}[r.IntN(3)]
		t.legs = []leg{l}
		b.tx = t
		b.txEvents = []event{ev(evTxComplete, at)}
		if r.Float64() < g.pExpense*0.75 {
			g.attachExpense(&b, etFee, at, 0, -l.amount, curGBP, -1, "")
		}
	case kTopup:
		t := g.newTx(tTopup, at)
		acc := r.IntN(len(w.accounts))
		cur := w.accounts[acc].cur
		amt := g.amountIn(cur, 1000, 50000)
		if cur == curJPY {
			amt = g.amountIn(cur, 100000, 5000000)
		}
		l := g.newLeg(acc, amt)
		l.desc = "Top-Up by card"
		t.legs = []leg{l}
		g.topup = &paymentRef{id: t.id, account: uint8(acc), amount: amt}
		t.state = sCreated
		b.tx = t
		b.txEvents = []event{ev(evTxComplete, between(r, at, at+hourNanos))}
	case kATM:
		t := g.newTx(tATM, at)
		ci := g.holderCard()
		t.card = int32(ci)
		amt := g.amountIn(curGBP, 2, 30) * 10
		l := g.newLeg(0, -amt)
		l.desc = "Cash at ATM"
		if r.IntN(2) == 0 {
			l.hasFee, l.fee = true, amt*2/100
		}
		t.legs = []leg{l}
		b.tx = t
		b.txEvents = []event{ev(evTxComplete, between(r, at+hourNanos, at+2*dayNanos))}
		if r.Float64() < g.pExpense*0.75 {
			g.attachExpense(&b, etATM, at, int16(w.cards[ci].holder), amt, curGBP, -1, "")
		}
	case kTax:
		t := g.newTx(tTax, at)
		l := g.newLeg(0, -g.amountIn(curGBP, 200, 8000))
		l.desc = "HMRC VAT"
		t.legs = []leg{l}
		t.reference = "VAT return"
		b.tx = t
		b.txEvents = []event{ev(evTxComplete, at)}
	default:
		b = g.cardPayment(at)
	}
	return b
}

// accountFor returns the business account held in cur, or Main.
func accountFor(cur int) int {
	switch cur {
	case curEUR:
		return 2
	case curUSD:
		return 3
	case curJPY:
		return 4
	}
	return 0
}

func cpTypeOf(cp *counterparty) uint8 {
	if cp.revolut {
		return counterpartyRevolut
	}
	return counterpartyExternal
}

func (g *generator) holderCard() int {
	for {
		i := g.r.IntN(len(g.w.cards))
		if g.w.cards[i].holder >= 0 {
			return i
		}
	}
}

// payout is a transfer to an external or Revolut counterparty. Bulk payouts share at and ref.
func (g *generator) payout(at int64, cpi int, ref string, gbpMinor int64) bundle {
	r, w := g.r, g.w
	cp := &w.counterparties[cpi]
	acc := 0
	if cp.cur == curEUR {
		acc = 2
	}
	t := g.newTx(tTransfer, at)
	t.state = sCreated
	amt := convert(gbpMinor, curGBP, w.accounts[acc].cur)
	l := g.newLeg(acc, -amt)
	l.cpType, l.cpIndex, l.desc = cpTypeOf(cp), int16(cpi), cp.desc
	if !cp.revolut && cp.country != "GB" && r.IntN(3) == 0 {
		l.hasFee, l.fee = true, 30
	}
	t.legs = []leg{l}
	g.seq++
	if ref == "" {
		ref = fmt.Sprintf("Invoice %d", 10000+g.seq)
	}
	t.reference = ref
	t.requestID = fmt.Sprintf("pay-%08d", g.seq)
	g.transfers[g.nTransfers%len(g.transfers)] = paymentRef{id: t.id, account: uint8(acc), amount: -amt, merchant: int32(cpi)}
	g.nTransfers++
	var b bundle
	b.hasTx = true
	b.tx = t
	switch n := r.IntN(100); {
	case n < 3:
		b.txEvents = []event{ev(evTxFail, between(r, at+hourNanos, at+2*dayNanos))}
		b.txEvents[0].arg = 6
	case n < 4:
		b.txEvents = []event{ev(evTxDecline, at+5*int64(time.Second))}
		b.txEvents[0].arg = 7
	case n < 60:
		b.txEvents = []event{ev(evTxComplete, at+2*int64(time.Second))}
	default:
		b.txEvents = []event{ev(evTxComplete, between(r, at+hourNanos, at+2*dayNanos))}
	}
	return b
}

func (g *generator) cardPayment(at int64) bundle { return g.merchantPayment(at, false) }

// merchantPayment is a card payment, or with rev a Revolut Pay payment (rev_payment: paid
// from the account in the Revolut app, no card), at a merchant.
func (g *generator) merchantPayment(at int64, rev bool) bundle {
	r, w := g.r, g.w
	mi := r.IntN(len(w.merchants))
	m := &w.merchants[mi]
	ci := r.IntN(len(w.cards))
	c := &w.cards[ci]
	acc := 0
	if m.cur != curGBP && m.cur <= curJPY && r.IntN(10) < 6 {
		acc = accountFor(m.cur)
	}
	accCur := w.accounts[acc].cur
	spend := m.minMinor + r.Int64N(m.maxMinor-m.minMinor+1)
	t := g.newTx(tCardPayment, at)
	t.card, t.merchant = int32(ci), int32(mi)
	payer := int16(c.holder)
	if rev {
		t.kind, t.card, payer = tRevPayment, -1, -1
	}
	l := g.newLeg(acc, -convert(spend, m.cur, accCur))
	if l.amount == 0 {
		l.amount = -1
	}
	l.desc = m.name
	if m.cur == accCur && !rev && r.IntN(100) < 5 && l.amount < -100 {
		// Authorised for less than the final amount (a tip, a hotel's final bill): the
		// amount changes when the payment completes.
		l.authorised = l.amount * 9 / 10
	}
	if m.cur != accCur {
		l.billCur, l.bill = int8(m.cur), -spend
		if r.IntN(2) == 0 {
			l.hasFee, l.fee = true, max(1, -l.amount/200)
		}
	}
	t.legs = []leg{l}
	var b bundle
	b.hasTx = true
	b.tx = t
	complete := at + between(r, time.Minute.Nanoseconds(), 6*hourNanos)
	if r.IntN(10) < 3 {
		complete = at + between(r, 6*hourNanos, 3*dayNanos)
	}
	if r.IntN(4) == 0 {
		complete = withMicros(r, complete)
	}
	plain := false
	switch n := r.IntN(100); {
	case n < 4:
		b.txEvents = []event{ev(evTxDecline, at+between(r, int64(time.Second), 30*int64(time.Second)))}
		b.txEvents[0].arg = uint8(1 + r.IntN(5))
	case n < 6: // authorisation reversed before completing
		b.txEvents = []event{ev(evTxRevert, between(r, at+dayNanos, at+14*dayNanos))}
	case n < 8: // completed, then reverted by the merchant
		b.txEvents = []event{ev(evTxComplete, complete), ev(evTxRevert, between(r, complete+dayNanos, complete+20*dayNanos))}
	default:
		b.txEvents = []event{ev(evTxComplete, complete)}
		plain = true
	}
	if !rev {
		g.recent[g.nRecent%len(g.recent)] = paymentRef{id: t.id, account: uint8(acc), card: int32(ci), merchant: int32(mi), amount: l.amount, bill: l.bill, billCur: l.billCur}
		g.nRecent++
	}
	if r.Float64() < g.pExpense {
		spent, spentCur := -l.amount, accCur
		if l.billCur >= 0 { // the expense is kept in the original currency of the purchase
			spent, spentCur = spend, m.cur
		}
		etype := uint8(etCardPayment)
		if rev {
			etype = etRevPayment
		}
		g.attachExpense(&b, etype, at, payer, spent, spentCur, mi, m.name)
		if plain && payer >= 0 && r.IntN(100) < 4 {
			g.personalSpend(&b, complete, payer, uint8(acc), -l.amount)
		}
	}
	return b
}

// personalSpend turns the bundle's expense into one the approver sent back as personal
// spend: refund_requested a few days after completion, and in most cases refunded once
// the employee has paid the amount back with a transfer to the account it was spent from.
func (g *generator) personalSpend(b *bundle, completed int64, member int16, account uint8, amount int64) {
	r, e := g.r, b.exp
	b.expEvents = b.expEvents[:1] // submitted; the approver never approves it
	e.refundAsked = withMicros(r, between(r, b.expEvents[0].at+hourNanos, b.expEvents[0].at+4*dayNanos))
	e.refundAsked = max(e.refundAsked, completed+hourNanos)
	if r.IntN(10) < 6 {
		e.refundPaid = between(r, e.refundAsked+dayNanos, e.refundAsked+10*dayNanos)
		g.owed = append(g.owed, memberTransfer{due: e.refundPaid, member: member, account: account, amount: amount, ref: "Expense repayment"})
	}
}

// dueTransfer returns the index of the first owed member transfer due by at, or -1.
func (g *generator) dueTransfer(at int64) int {
	for i, mt := range g.owed {
		if mt.due <= at {
			return i
		}
	}
	return -1
}

// memberPayment is a transfer between the business and a team member's own account.
func (g *generator) memberPayment(mt memberTransfer, at int64) bundle {
	m := &g.w.members[mt.member]
	t := g.newTx(tTransfer, at)
	l := g.newLeg(int(mt.account), mt.amount)
	l.cpType, l.cpIndex = counterpartyMember, mt.member
	if mt.amount < 0 {
		l.desc = "To " + m.first + " " + m.last
	} else {
		l.desc = "Payment from " + m.first + " " + m.last
	}
	t.legs = []leg{l}
	t.reference = mt.ref
	return bundle{hasTx: true, tx: t, txEvents: []event{ev(evTxComplete, withMicros(g.r, at+2*int64(time.Second)))}}
}

// rareKind makes the rarer transaction types. Refunds of every kind point back to a real
// earlier transaction with related_transaction_id; when there is none yet, a card payment
// is made instead.
func (g *generator) rareKind(kind int, at int64) bundle {
	r, w := g.r, g.w
	var b bundle
	b.hasTx = true
	complete := withMicros(r, between(r, at+hourNanos, at+3*dayNanos))
	switch kind {
	case kRevPayment:
		return g.merchantPayment(at, true)
	case kChargeback:
		if g.nRecent == 0 {
			return g.cardPayment(at)
		}
		// A disputed card payment, won: the whole amount comes back weeks later.
		p := g.recent[r.IntN(min(g.nRecent, len(g.recent)))]
		t := g.newTx(tCardChargeback, at)
		t.related, t.card, t.merchant = p.id, p.card, p.merchant
		l := g.newLeg(int(p.account), -p.amount)
		l.desc = "Chargeback: " + w.merchants[p.merchant].name
		if p.billCur >= 0 {
			l.billCur, l.bill = p.billCur, -p.bill
		}
		t.legs = []leg{l}
		b.tx = t
		complete = withMicros(r, between(r, at+7*dayNanos, at+30*dayNanos))
	case kCardCredit:
		// Money a merchant pushes to a card (a cashback or goodwill credit), with no
		// payment it refers to.
		mi := r.IntN(len(w.merchants))
		t := g.newTx(tCardCredit, at)
		t.card, t.merchant = int32(g.holderCard()), int32(mi)
		l := g.newLeg(0, g.amountIn(curGBP, 1, 40))
		l.desc = w.merchants[mi].name
		t.legs = []leg{l}
		b.tx = t
	case kCharge:
		t := g.newTx(tCharge, at)
		l := g.newLeg(0, -g.amountIn(curGBP, 2, 25))
		l.desc = []string{"Additional user charge", "Express delivery charge", "Cash deposit charge"}[r.IntN(3)]
		t.legs = []leg{l}
		b.tx = t
		g.charge = &paymentRef{id: t.id, account: 0, amount: l.amount}
		complete = withMicros(r, at)
	case kChargeRefund:
		if g.charge == nil {
			return g.generate(kFee, at)
		}
		p := *g.charge
		t := g.newTx(tChargeRefund, at)
		t.related = p.id
		l := g.newLeg(int(p.account), -p.amount)
		l.desc = "Charge refunded"
		t.legs = []leg{l}
		b.tx = t
	case kLoan:
		t := g.newTx(tLoan, at)
		amt := g.amountIn(curGBP, 5000, 50000)
		l := g.newLeg(0, amt)
		l.desc = "Business loan drawdown"
		if r.IntN(2) == 0 {
			l.amount, l.desc = -g.amountIn(curGBP, 300, 2000), "Business loan repayment"
		}
		t.legs = []leg{l}
		t.reference = "Loan"
		b.tx = t
	case kRefund:
		if g.nTransfers == 0 {
			return g.generate(kTransferOut, at)
		}
		// A payee sends back (part of) a transfer: an overpaid invoice, a cancelled order.
		p := g.transfers[r.IntN(min(g.nTransfers, len(g.transfers)))]
		cp := &w.counterparties[p.merchant]
		t := g.newTx(tRefund, at)
		t.related = p.id
		amt := -p.amount
		if r.IntN(2) == 0 {
			amt = max(1, amt/3)
		}
		l := g.newLeg(int(p.account), amt)
		l.cpType, l.cpIndex, l.desc = cpTypeOf(cp), int16(p.merchant), "Refund from "+cp.name
		t.legs = []leg{l}
		b.tx = t
	case kTopupReturn:
		if g.topup == nil {
			return g.generate(kTopup, at)
		}
		p := *g.topup
		t := g.newTx(tTopupReturn, at)
		t.related = p.id
		l := g.newLeg(int(p.account), -max(1, p.amount/2))
		l.desc = "Top-up returned"
		t.legs = []leg{l}
		b.tx = t
	case kTaxRefund:
		t := g.newTx(tTaxRefund, at)
		l := g.newLeg(0, g.amountIn(curGBP, 100, 3000))
		l.desc = "HMRC VAT repayment"
		t.legs = []leg{l}
		t.reference = "VAT return"
		b.tx = t
	}
	b.txEvents = []event{ev(evTxComplete, complete)}
	return b
}

var expenseDescriptions = []string{"Team lunch", "Client dinner", "Train to client site", "Office supplies", "Hotel for conference", "Software licence", "Taxi from airport", "Printer paper", "Cloud hosting", "Coffee with candidate", ""}

// attachExpense adds an expense for the bundle's transaction with its review events.
func (g *generator) attachExpense(b *bundle, ttype uint8, at int64, payer int16, spent int64, spentCur int, merchantIdx int, merchantName string) {
	r := g.r
	e := &expense{id: newUUID(g.r), tx: 0, date: at, state: eMissingInfo, ttype: ttype, payer: payer, merchant: merchantName,
		description: expenseDescriptions[r.IntN(len(expenseDescriptions))], spent: spent, spentCur: uint8(spentCur)}
	g.fillExpense(e, merchantIdx)
	b.exp = e
	submit := between(g.r, at+10*time.Minute.Nanoseconds(), at+5*dayNanos)
	b.expEvents = append(b.expEvents, ev(evExpSubmit, submit))
	if r.IntN(10) == 0 { // stays in review for a long time
		return
	}
	decide := between(g.r, submit+hourNanos, submit+7*dayNanos)
	if r.IntN(100) < 6 {
		b.expEvents = append(b.expEvents, ev(evExpReject, decide))
		return
	}
	b.expEvents = append(b.expEvents, ev(evExpApprove, decide))
	if r.IntN(100) < 4 { // an approver sends it back for more information
		b.expEvents = append(b.expEvents, ev(evExpReopen, between(g.r, decide+dayNanos, decide+30*dayNanos)))
	}
}

// fillExpense chooses splits, labels and receipts.
func (g *generator) fillExpense(e *expense, merchantIdx int) {
	r, w := g.r, g.w
	k := 1
	if n := r.IntN(100); n >= 92 {
		k = 3
	} else if n >= 70 {
		k = 2
	}
	if e.spent < int64(k) {
		k = 1
	}
	remaining := e.spent
	for i := range k {
		amt := remaining
		if i < k-1 {
			amt = 1 + r.Int64N(remaining-int64(k-1-i))
			if amt > remaining/2 && remaining > 4 {
				amt = max(1, remaining/2)
			}
		}
		remaining -= amt
		cat := r.IntN(len(w.categories))
		if merchantIdx >= 0 && i == 0 {
			cat = categoryForMCC(w.merchants[merchantIdx].mcc)
		}
		tax := w.categories[cat].defaultTax
		if r.IntN(4) == 0 {
			tax = r.IntN(len(w.taxRates))
		}
		e.splits = append(e.splits, split{amount: amt, cur: e.spentCur, cat: uint8(cat), tax: uint8(tax)})
	}
	if last := &e.splits[len(e.splits)-1]; last.amount > 4 && r.IntN(100) < 3 {
		// The submitter split only part of the spend: the splits add up to less than
		// spent_amount.
		last.amount -= last.amount / 4
	}
	for gi, grp := range w.labelGroups {
		if r.IntN(100) < []int{80, 40, 25}[gi%3] {
			e.labels = append(e.labels, labelRef{group: uint8(gi), label: uint16(r.IntN(len(grp.labels)))})
		}
	}
	n := 1
	if x := r.IntN(100); x < 25 {
		n = 0
	} else if x >= 85 {
		n = 2
	}
	for range n {
		e.receipts = append(e.receipts, receipt{id: newUUID(r), format: uint8(r.IntN(5) % 3)})
	}
}

func categoryForMCC(mcc string) int {
	switch mcc {
	case "4112", "4121", "3005", "3058", "3075", "4722":
		return 0
	case "7011":
		return 1
	case "5814", "5812", "5411", "5499":
		return 2
	case "5111", "5942", "5712":
		return 3
	case "5734":
		return 4
	case "7372":
		return 5
	case "5541":
		return 6
	case "6513":
		return 9
	}
	return 11
}

// reimbursement makes an out-of-pocket or mileage expense with no Revolut transaction and a
// user-entered date that can be months old.
func (g *generator) reimbursement(at int64) bundle {
	r, w := g.r, g.w
	payer := r.IntN(9)
	daysAgo := 1 + r.Int64N(120)
	date := at - daysAgo*dayNanos
	date -= date % dayNanos // users pick a day, not a time
	e := &expense{id: newUUID(r), tx: -1, date: date, submitted: at, state: eAwaitingReview, payer: int16(payer), spentCur: curGBP}
	if r.IntN(3) == 0 {
		miles := 10 + r.Int64N(300)
		e.ttype, e.spent = etMileage, miles*45 // 45p per mile
		e.description = fmt.Sprintf("Client visit, %d miles", miles)
		e.splits = []split{{amount: e.spent, cur: curGBP, cat: 7, tax: 2}}
	} else {
		e.ttype = etExternal
		e.spentCur = uint8([]int{curGBP, curGBP, curEUR}[r.IntN(3)])
		e.spent = g.amountIn(int(e.spentCur), 5, 400)
		e.description = "Paid with personal card"
		e.merchant = w.merchants[r.IntN(len(w.merchants))].name
		g.fillExpense(e, -1)
	}
	var b bundle
	b.exp = e
	approve := between(r, at+hourNanos, at+5*dayNanos)
	b.expEvents = []event{ev(evExpApprove, approve)}
	if r.IntN(10) < 8 {
		paid := withMicros(r, between(r, approve+hourNanos, approve+5*dayNanos))
		b.expEvents = append(b.expEvents, ev(evExpReimbursed, paid))
		// The payout to the employee's own account, in pounds from the main account.
		g.owed = append(g.owed, memberTransfer{due: paid, member: int16(payer), account: 0,
			amount: -convert(e.spent, int(e.spentCur), curGBP), ref: "Expense reimbursement"})
	}
	return b
}
