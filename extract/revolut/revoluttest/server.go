package revoluttest

import (
	"cmp"
	"container/heap"
	crand "crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// Options configures a fake. The zero value is usable: every field has a documented default.
type Options struct {
	// Seed makes the data deterministic: the same seed and options give the same records,
	// ids and scripted changes. Default 1.
	Seed int64
	// Transactions is the number of transactions in the generated history, bulk payouts and
	// quirk records included. Default 2000. Scales to 1_000_000.
	Transactions int
	// Expenses is the approximate number of expenses in the history. Default (0): about 40%
	// of card payments have one, some ATM withdrawals and fees too, plus external
	// reimbursements and mileage claims.
	Expenses int
	// NoReceipts leaves every expense without receipts. By default an expense has 0 to 2
	// receipts (PDF, JPEG or PNG).
	NoReceipts bool
	// BulkPayouts lists the sizes of bulk-payout clusters: rows that share one created_at.
	// nil means the default: when Transactions >= 2000, one cluster of 1001 to 1200 rows
	// (larger than a page of 1000) plus clusters of 5 to 250 rows making up about 5% of the
	// rest; smaller histories get only the small clusters. A non-nil empty slice means no
	// clusters. Payouts of a cluster alternate between the Main (GBP) and Euro accounts, so
	// no account has more than 1000 rows at one instant as long as sizes stay <= 2000: a
	// client reads an instant that fills a page by splitting it with the account filter.
	BulkPayouts []int
	// End is the end of the history (exclusive). Default: Clock() at New, truncated to the
	// millisecond.
	End time.Time
	// Span is how far the history reaches back from End. Default 365 days.
	Span time.Duration
	// RatePerMinute limits API requests per rolling minute (the token endpoint is not
	// counted). 0 means unlimited.
	RatePerMinute int
	// Clock is the wall clock behind token expiry, the rate-limit window and scripted
	// changes. Default time.Now. The fake's "now" starts at End and moves with Clock from
	// the moment New is called, plus everything passed to Advance.
	Clock func() time.Time
	// TokenTTL is the access token lifetime. Default 40 minutes.
	TokenTTL time.Duration
	// Quirks adds the trap records listed in Dataset.Quirks: odd date-time forms, a 37-char
	// id, an unknown type and state, one record that cannot be decoded, and one that decodes
	// but cannot be stored as PostgreSQL jsonb (a \u0000 escape). Default off.
	Quirks bool
}

func (o Options) withDefaults() Options {
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Transactions == 0 {
		o.Transactions = 2000
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.End.IsZero() {
		o.End = o.Clock()
	}
	o.End = o.End.UTC().Truncate(time.Millisecond)
	if o.Span == 0 {
		o.Span = 365 * 24 * time.Hour
	}
	if o.TokenTTL == 0 {
		o.TokenTTL = 40 * time.Minute
	}
	return o
}

func (o Options) validate() error {
	switch {
	case o.Transactions < 0:
		return errors.New("revoluttest: Transactions must not be negative")
	case o.Expenses < 0:
		return errors.New("revoluttest: Expenses must not be negative")
	case o.Span < time.Hour:
		return errors.New("revoluttest: Span must be at least an hour")
	case o.RatePerMinute < 0:
		return errors.New("revoluttest: RatePerMinute must not be negative")
	case o.TokenTTL < time.Second:
		return errors.New("revoluttest: TokenTTL must be at least a second")
	}
	if o.Quirks && o.Transactions < len(quirkKinds) {
		return fmt.Errorf("revoluttest: Quirks needs at least %d transactions", len(quirkKinds))
	}
	for _, n := range o.BulkPayouts {
		if n < 1 {
			return fmt.Errorf("revoluttest: bulk payout size %d must be positive", n)
		}
	}
	return nil
}

// Server is a fake Revolut Business API. Create it with New or NewTestServer; it is safe
// for concurrent use, including Advance and SetFaults while requests are being served.
type Server struct {
	opts Options

	mu         sync.Mutex
	w          *world
	gen        *generator
	txs        []txn // ascending by created, then by creation order
	txByID     map[uuid]int32
	expenses   []expense
	expOrder   []int32 // expense indices ascending by (date, seq); rebuilt when dirty
	expDirty   bool
	expByID    map[uuid]int32
	events     eventHeap
	evSeq      uint64
	offset     time.Duration // sum of Advance calls
	clockStart time.Time     // Clock() when New was called
	applied    int64         // events and new transactions applied up to this instant
	bucket     int64         // next hour bucket after End to generate
	incoming   []bundle      // generated for the current bucket, not yet created
	lambda     float64       // ordinary transactions per hour
	lambdaR    float64       // reimbursements per hour
	quirks     []Quirk
	heapMode   bool // events form a heap once the history is built

	auth    authState
	limit   limiter
	faults  faultState
	stats   statsState
	baseURL string
	ts      *httptest.Server
}

type eventHeap []event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(event)) }
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// New generates the data for opts. The server does not listen; use Handler, Serve,
// Start or NewTestServer.
func New(opts Options) (*Server, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	key, err := signingKey()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, clockStart: opts.Clock()}
	s.auth.init(opts.Seed, key)
	s.faults.init(opts.Seed)
	s.stats.byPath = map[string]int{}
	s.build()
	return s, nil
}

// NewTestServer starts the fake on an httptest.Server (loopback, HTTP/1.1) closed in
// tb.Cleanup. It fails tb if opts are invalid.
func NewTestServer(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := New(opts)
	if err != nil {
		tb.Fatalf("revoluttest.New: %v", err)
	}
	s.ts = httptest.NewServer(s.Handler())
	s.baseURL = s.ts.URL + basePath
	tb.Cleanup(s.ts.Close)
	return s
}

// URL is the API base URL, including /api/1.0, once the server listens (NewTestServer,
// Serve or Start); "" before.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.baseURL
}

// signingKey returns the application's RSA key. Generating a 2048-bit key takes a noticeable
// fraction of a second, so one key is shared by every fake in the process; Go's key
// generation cannot be made deterministic from a seed anyway.
var signingKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	k, err := rsa.GenerateKey(crand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("revoluttest: generate RSA key: %w", err)
	}
	return k, nil
})

// now is the fake's clock: End when New returned, then moving with Clock, plus everything
// passed to Advance. A history that ends in the past therefore does not suddenly fill up
// with months of new activity.
func (s *Server) now() time.Time {
	return s.opts.End.Add(s.opts.Clock().Sub(s.clockStart) + s.offset).UTC()
}

// build generates the world and the history up to End.
func (s *Server) build() {
	o := s.opts
	r := rand.New(rand.NewPCG(uint64(o.Seed), 0x5eed_0001))
	end := nanos(o.End)
	start := end - o.Span.Nanoseconds()
	s.w = newWorld(r, start)
	s.applied = end
	s.txByID = make(map[uuid]int32, o.Transactions)
	s.expByID = map[uuid]int32{}

	// Plan the history: one slot per ordinary transaction, per bulk cluster, per
	// reimbursement and per quirk record, in created_at order.
	bulk := o.BulkPayouts
	if bulk == nil {
		bulk = defaultBulk(r, o.Transactions)
	}
	nQuirks := 0
	if o.Quirks {
		nQuirks = len(quirkKinds)
	}
	remaining := o.Transactions - nQuirks
	var clusters []int
	for _, n := range bulk {
		if n > remaining {
			n = remaining
		}
		if n <= 0 {
			break
		}
		clusters = append(clusters, n)
		remaining -= n
	}
	ordinary := remaining
	cardPayments := float64(ordinary) * 0.6
	pExp := 0.4
	if o.Expenses > 0 && cardPayments > 0 {
		pExp = min(1, float64(o.Expenses)*0.9/cardPayments)
	}
	nReimb := int(cardPayments*pExp*0.06) + 2
	if o.Expenses > 0 {
		nReimb = max(1, o.Expenses/12)
	}
	s.gen = &generator{r: r, w: s.w, pExpense: pExp}
	hours := float64(o.Span) / float64(time.Hour)
	s.lambda = float64(ordinary) / hours
	s.lambdaR = float64(nReimb) / hours

	slots := make([]slot, 0, ordinary+len(clusters)+nReimb+nQuirks)
	for range ordinary {
		slots = append(slots, slot{at: between(r, start, end), kind: slotTx})
	}
	for i := range clusters {
		slots = append(slots, slot{at: between(r, start, end), kind: slotBulk, arg: int32(i)})
	}
	for range nReimb {
		slots = append(slots, slot{at: between(r, start, end), kind: slotReimbursement})
	}
	for i := range nQuirks {
		slots = append(slots, slot{at: quirkTime(r, i, start, end), kind: slotQuirk, arg: int32(i)})
	}
	slices.SortStableFunc(slots, func(a, b slot) int { return cmp.Compare(a.at, b.at) })
	var gbpPayees, eurPayees []int
	for i, cp := range s.w.counterparties {
		if cp.cur == curEUR {
			eurPayees = append(eurPayees, i)
		} else {
			gbpPayees = append(gbpPayees, i)
		}
	}

	s.txs = make([]txn, 0, o.Transactions)
	for _, sl := range slots {
		switch sl.kind {
		case slotTx:
			s.release(s.gen.generate(s.gen.pickKind(), sl.at))
		case slotBulk:
			n := clusters[sl.arg]
			ref := fmt.Sprintf("Payroll %s", fromNanos(sl.at).Format("Jan 2006"))
			// Alternate pound and euro payees so that each account's share of a cluster
			// stays within one page: a client can then read an instant that fills a whole
			// page by splitting it per account.
			for k := range n {
				cps := gbpPayees
				if k%2 == 1 {
					cps = eurPayees
				}
				s.release(s.gen.payout(sl.at, cps[r.IntN(len(cps))], ref, s.gen.amountIn(curGBP, 500, 5000)))
			}
		case slotReimbursement:
			s.release(s.gen.reimbursement(sl.at))
		case slotQuirk:
			s.addQuirk(r, int(sl.arg), sl.at)
		}
	}
	if o.NoReceipts {
		for i := range s.expenses {
			s.expenses[i].receipts = nil
		}
	}
	if o.Quirks {
		s.addExpenseQuirk(r, start, end)
		if o.NoReceipts {
			s.expenses[len(s.expenses)-1].receipts = nil
			q := &s.quirks[len(s.quirks)-1]
			q.Raw = s.appendExpense(nil, &s.expenses[len(s.expenses)-1])
		}
	}

	// Apply every scripted change due within the history with opening balances of zero,
	// then lift each account so that its lowest running balance is a comfortable positive
	// figure. Only legs booked so far carry a balance, so the shift is exact.
	slices.SortFunc(s.events, func(a, b event) int {
		if c := cmp.Compare(a.at, b.at); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	lowest := make([]int64, len(s.w.accounts))
	i := 0
	for ; i < len(s.events) && s.events[i].at < end; i++ {
		s.apply(s.events[i])
		for a := range s.w.accounts {
			lowest[a] = min(lowest[a], s.w.accounts[a].balance)
		}
	}
	s.events = slices.Clone(s.events[i:]) // sorted, hence a valid heap
	s.heapMode = true
	for a := range s.w.accounts {
		acc := &s.w.accounts[a]
		acc.opening = -lowest[a] + s.gen.amountIn(acc.cur, 2000, 20000)*[]int64{1, 1, 1, 1, 150}[a]
		acc.balance += acc.opening
	}
	for ti := range s.txs {
		for li := range s.txs[ti].legs {
			if l := &s.txs[ti].legs[li]; l.hasBalance {
				l.balance += s.w.accounts[l.account].opening
			}
		}
	}
	s.expDirty = true
}

// defaultBulk picks cluster sizes for a history of n transactions.
func defaultBulk(r *rand.Rand, n int) []int {
	var sizes []int
	if n >= 2000 {
		sizes = append(sizes, 1001+r.IntN(200))
	}
	budget := (n - sum(sizes)) / 20
	for budget >= 5 {
		k := min(budget, 5+r.IntN(246))
		sizes = append(sizes, k)
		budget -= k
	}
	return sizes
}

func sum(xs []int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}

// release creates the bundle's records and queues their scripted events.
func (s *Server) release(b bundle) {
	txIdx := int32(-1)
	if b.hasTx {
		txIdx = int32(len(s.txs))
		s.txs = append(s.txs, b.tx)
		s.txByID[b.tx.id] = txIdx
		for _, e := range b.txEvents {
			e.idx = txIdx
			s.push(e)
		}
	}
	if b.exp != nil {
		ei := int32(len(s.expenses))
		b.exp.tx = txIdx
		b.exp.seq = ei
		s.expenses = append(s.expenses, *b.exp)
		s.expByID[b.exp.id] = ei
		s.expOrder = append(s.expOrder, ei)
		s.expDirty = true
		if txIdx >= 0 {
			s.txs[txIdx].expense = ei
		}
		for _, e := range b.expEvents {
			e.idx = ei
			s.push(e)
		}
	}
}

// push queues an event. During build the queue is a plain slice sorted once; afterwards
// it is a heap.
func (s *Server) push(e event) {
	s.evSeq++
	e.seq = s.evSeq
	if s.heapMode {
		heap.Push(&s.events, e)
		return
	}
	s.events = append(s.events, e)
}

// apply performs one scripted change.
func (s *Server) apply(e event) {
	switch e.kind {
	case evTxComplete, evTxDecline, evTxFail, evTxRevert:
		t := &s.txs[e.idx]
		switch e.kind {
		case evTxComplete:
			if t.state != sPending && t.state != sCreated {
				return
			}
			t.state, t.completed, t.updated = sCompleted, e.at, e.at
			for li := range t.legs {
				l := &t.legs[li]
				acc := &s.w.accounts[l.account]
				acc.balance += l.net()
				acc.updated = e.at
				l.balance, l.hasBalance = acc.balance, true
			}
			if t.expense >= 0 {
				s.expenses[t.expense].date = e.at
				s.expDirty = true
			}
		case evTxDecline, evTxFail:
			if t.state != sPending && t.state != sCreated {
				return
			}
			t.state, t.reason, t.updated = sDeclined, e.arg, e.at
			if e.kind == evTxFail {
				t.state = sFailed
			}
			s.revertExpense(t.expense)
		case evTxRevert:
			switch t.state {
			case sCompleted:
				for li := range t.legs {
					l := &t.legs[li]
					acc := &s.w.accounts[l.account]
					acc.balance -= l.net()
					acc.updated = e.at
				}
			case sPending, sCreated:
			default:
				return
			}
			t.state, t.updated = sReverted, e.at
			s.revertExpense(t.expense)
		}
	default:
		x := &s.expenses[e.idx]
		reimbursement := x.ttype == etExternal || x.ttype == etMileage
		switch e.kind {
		case evExpSubmit:
			if x.state == eMissingInfo {
				x.state, x.submitted = eAwaitingReview, e.at
			}
		case evExpApprove:
			if x.state != eAwaitingReview {
				return
			}
			if reimbursement {
				x.state = ePendingReimbursement
			} else {
				x.state, x.completed = eApproved, e.at
			}
		case evExpReject:
			if x.state == eAwaitingReview {
				x.state, x.completed = eRejected, e.at
			}
		case evExpReopen:
			if x.state == eApproved {
				x.state, x.completed = eMissingInfo, 0
			}
		case evExpReimbursed:
			if x.state == ePendingReimbursement {
				x.state, x.completed = eApproved, e.at
			}
		}
	}
}

func (s *Server) revertExpense(ei int32) {
	if ei >= 0 {
		x := &s.expenses[ei]
		x.state, x.completed = eReverted, 0
	}
}

// Advance moves the fake's clock forward by d and applies every scripted change due by
// then: pending transactions completing, declining or reverting, expenses moving through
// review (and expense_date following a transaction's completion), approved expenses sent
// back to missing_info, and new transactions and expenses for the elapsed time.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
	s.catchUp()
}

// catchUp applies everything due by now. Callers hold s.mu.
func (s *Server) catchUp() {
	now := nanos(s.now())
	if now <= s.applied {
		return
	}
	end := nanos(s.opts.End)
	for {
		// The next thing to happen is either the next queued event, the next incoming
		// transaction, or the start of the next hour bucket.
		next := int64(1<<63 - 1)
		if len(s.events) > 0 {
			next = s.events[0].at
		}
		if len(s.incoming) > 0 {
			next = min(next, s.incomingAt(0))
		}
		bucketStart := end + s.bucket*hourNanos
		next = min(next, bucketStart)
		if next > now {
			break
		}
		switch {
		case next == bucketStart:
			s.generateBucket()
		case len(s.incoming) > 0 && s.incomingAt(0) == next:
			s.release(s.incoming[0])
			s.incoming = s.incoming[1:]
		default:
			s.apply(heap.Pop(&s.events).(event))
		}
	}
	s.applied = now
}

func (s *Server) incomingAt(i int) int64 {
	b := &s.incoming[i]
	if b.hasTx {
		return b.tx.created
	}
	return b.exp.submitted
}

// generateBucket makes the new activity of one hour after End. Each bucket has its own
// random stream so the result does not depend on how the time was advanced.
func (s *Server) generateBucket() {
	start := nanos(s.opts.End) + s.bucket*hourNanos
	r := rand.New(rand.NewPCG(uint64(s.opts.Seed), 0xb0c4e7_0000+uint64(s.bucket)))
	s.bucket++
	g := s.gen
	g.r = r
	n := poisson(r, s.lambda)
	var slots []slot
	for range n {
		slots = append(slots, slot{at: between(r, start, start+hourNanos), kind: slotTx})
	}
	if r.Float64() < s.lambdaR {
		slots = append(slots, slot{at: between(r, start, start+hourNanos), kind: slotReimbursement})
	}
	slices.SortStableFunc(slots, func(a, b slot) int { return cmp.Compare(a.at, b.at) })
	for _, sl := range slots {
		var b bundle
		if sl.kind == slotTx {
			b = g.generate(g.pickKind(), sl.at)
		} else {
			b = g.reimbursement(sl.at)
		}
		if s.opts.NoReceipts && b.exp != nil {
			b.exp.receipts = nil
		}
		s.incoming = append(s.incoming, b)
	}
}

// poisson draws a count with mean lambda (Knuth's method; lambda is small here).
func poisson(r *rand.Rand, lambda float64) int {
	if lambda > 30 { // normal approximation for busy histories
		n := int(lambda + r.NormFloat64()*math.Sqrt(lambda) + 0.5)
		return max(0, n)
	}
	l := math.Exp(-lambda)
	k, p := 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// sortExpenses restores expense_date order after dates moved. Callers hold s.mu.
func (s *Server) sortExpenses() {
	if !s.expDirty {
		return
	}
	slices.SortFunc(s.expOrder, func(a, b int32) int {
		ea, eb := &s.expenses[a], &s.expenses[b]
		if c := cmp.Compare(ea.date, eb.date); c != 0 {
			return c
		}
		return cmp.Compare(ea.seq, eb.seq)
	})
	s.expDirty = false
}
