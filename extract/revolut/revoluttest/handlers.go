package revoluttest

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/revledger/revledger/extract/revolut"
)

// Route handlers run with s.mu held and return the reply for the middleware to write.

func (s *Server) getAccounts(_ *http.Request, _ time.Time) reply {
	b := []byte{'['}
	for i := range s.w.accounts {
		if i > 0 {
			b = append(b, ',')
		}
		b = s.appendAccount(b, &s.w.accounts[i])
	}
	return jsonReply(append(b, ']'))
}

func (s *Server) appendAccount(b []byte, a *account) []byte {
	b = appendID(append(b, '{'), true, "id", a.id)
	b = appendStr(b, false, "name", a.name)
	b = appendKey(b, false, "balance")
	b = appendAmount(b, a.balance, currencies[a.cur].exp)
	b = appendStr(b, false, "currency", currencies[a.cur].code)
	state := "active"
	if a.inactive {
		state = "inactive"
	}
	b = appendStr(b, false, "state", state)
	b = appendKey(b, false, "public")
	b = strconv.AppendBool(b, a.public)
	b = appendKey(b, false, "created_at")
	b = appendTime(b, a.created)
	b = appendKey(b, false, "updated_at")
	b = appendTime(b, a.updated)
	return append(b, '}')
}

// parseInstant parses a from/to/created_before value: any date-time form the API emits, or
// a date (midnight UTC).
func parseInstant(q url.Values, name string) (int64, bool, reply) {
	v := q.Get(name)
	if v == "" {
		return 0, false, reply{}
	}
	t, err := revolut.ParseTime(v)
	if err != nil {
		return 0, false, badRequest("Invalid %s: %q is not a date-time", name, v)
	}
	return t.UnixNano(), true, reply{}
}

// parseCount parses a page size parameter; out-of-range values are rejected, not clamped,
// so a client that asks for more than the API allows finds out.
func parseCount(q url.Values, name string, def, maxN int) (int, reply) {
	v := q.Get(name)
	if v == "" {
		return def, reply{}
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxN {
		return 0, badRequest("Invalid %s: must be an integer from 1 to %d", name, maxN)
	}
	return n, reply{}
}

// pageCount is parseCount followed by Faults.ClampCount: a clamping server accepts any valid
// count and silently serves at most its own page size. Callers hold s.mu.
func (s *Server) pageCount(q url.Values, name string, def, maxN int) (int, reply) {
	n, bad := parseCount(q, name, def, maxN)
	if c := s.faults.f.ClampCount; bad.status == 0 && c > 0 && n > c {
		n = c
	}
	return n, bad
}

var specTxTypes = []string{"atm", "card_payment", "card_refund", "card_chargeback", "card_credit", "charge", "charge_refund", "exchange", "transfer", "loan", "fee", "refund", "topup", "topup_return", "tax", "tax_refund", "rev_payment"}

// getTransactions serves GET /transactions: created_at in [from, to), newest first,
// at most count rows. The next page is asked for with to = the last row's created_at, so
// rows sharing that instant beyond the page are skipped by a client that does not overlap.
func (s *Server) getTransactions(r *http.Request, _ time.Time) reply {
	q := r.URL.Query()
	from, hasFrom, bad := parseInstant(q, "from")
	if bad.status != 0 {
		return bad
	}
	to, hasTo, bad := parseInstant(q, "to")
	if bad.status != 0 {
		return bad
	}
	if hasFrom && hasTo && from >= to {
		return badRequest("Invalid date range: from must be before to")
	}
	count, bad := s.pageCount(q, "count", 100, 1000)
	if bad.status != 0 {
		return bad
	}
	account := -1
	if v := q.Get("account"); v != "" {
		id, ok := parseUUID(v)
		if !ok {
			return badRequest("Invalid account: %q is not a UUID", v)
		}
		account = len(s.w.accounts) // matches nothing unless found
		for i := range s.w.accounts {
			if s.w.accounts[i].id == id {
				account = i
			}
		}
	}
	typ := q.Get("type")
	if typ != "" && !slices.Contains(specTxTypes, typ) {
		return badRequest("Invalid type: %q", typ)
	}
	var states []string
	for _, v := range q["state"] {
		for st := range strings.SplitSeq(v, ",") {
			if !slices.Contains(txStateNames[:sUnknown], st) {
				return badRequest("Invalid state: %q", st)
			}
			states = append(states, st)
		}
	}
	lo := 0
	if hasFrom {
		lo = sort.Search(len(s.txs), func(i int) bool { return s.txs[i].created >= from })
	}
	hi := len(s.txs)
	if hasTo {
		hi = sort.Search(len(s.txs), func(i int) bool { return s.txs[i].created >= to })
	}
	b := make([]byte, 0, 64*1024)
	b = append(b, '[')
	n := 0
	for i := hi - 1; i >= lo && n < count; i-- {
		t := &s.txs[i]
		if typ != "" && txTypeNames[t.kind] != typ {
			continue
		}
		if len(states) > 0 && !slices.Contains(states, txStateNames[t.state]) {
			continue
		}
		if account >= 0 && !slices.ContainsFunc(t.legs, func(l leg) bool { return int(l.account) == account }) {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = s.appendTx(b, t)
		n++
	}
	return jsonReply(append(b, ']'))
}

// getTransaction serves GET /transaction/{id}, also by request_id with id_type=request_id.
func (s *Server) getTransaction(r *http.Request, _ time.Time) reply {
	id := r.PathValue("id")
	if r.URL.Query().Get("id_type") == "request_id" {
		for i := range s.txs {
			if s.txs[i].requestID == id {
				return jsonReply(s.appendTx(nil, &s.txs[i]))
			}
		}
		return notFound("Transaction not found")
	}
	if u, ok := parseUUID(id); ok {
		if i, ok := s.txByID[u]; ok && quirkOf(&s.txs[i]) != "long_id" {
			return jsonReply(s.appendTx(nil, &s.txs[i]))
		}
	}
	for _, q := range s.quirks {
		if q.ID == id {
			return jsonReply(q.Raw)
		}
	}
	return notFound("Transaction not found")
}

var specExpenseTypes = []string{"atm", "card_payment", "fee", "transfer", "external", "mileage_reimbursement", "rev_payment"}

// getExpenses serves GET /expenses: expense_date in [from, to), newest first, at most count.
func (s *Server) getExpenses(r *http.Request, _ time.Time) reply {
	q := r.URL.Query()
	from, hasFrom, bad := parseInstant(q, "from")
	if bad.status != 0 {
		return bad
	}
	to, hasTo, bad := parseInstant(q, "to")
	if bad.status != 0 {
		return bad
	}
	count, bad := s.pageCount(q, "count", 100, 500)
	if bad.status != 0 {
		return bad
	}
	state := q.Get("state")
	if state != "" && !slices.Contains(expenseStateNames, state) {
		return badRequest("Invalid state: %q", state)
	}
	ttype := q.Get("transaction_type")
	if ttype != "" && !slices.Contains(specExpenseTypes, ttype) {
		return badRequest("Invalid transaction_type: %q", ttype)
	}
	s.sortExpenses()
	lo := 0
	if hasFrom {
		lo = sort.Search(len(s.expOrder), func(i int) bool { return s.expenses[s.expOrder[i]].date >= from })
	}
	hi := len(s.expOrder)
	if hasTo {
		hi = sort.Search(len(s.expOrder), func(i int) bool { return s.expenses[s.expOrder[i]].date >= to })
	}
	b := append(make([]byte, 0, 32*1024), '[')
	n := 0
	for i := hi - 1; i >= lo && n < count; i-- {
		e := &s.expenses[s.expOrder[i]]
		if state != "" && expenseStateNames[e.state] != state {
			continue
		}
		if ttype != "" && expenseTypeNames[e.ttype] != ttype {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = s.appendExpense(b, e)
		n++
	}
	return jsonReply(append(b, ']'))
}

func (s *Server) expenseByPath(r *http.Request) (*expense, reply) {
	v := r.PathValue("expense_id")
	u, ok := parseUUID(v)
	if !ok {
		return nil, badRequest("Invalid expense_id: %q is not a UUID", v)
	}
	i, ok := s.expByID[u]
	if !ok {
		return nil, notFound("Expense '" + v + "' not found")
	}
	return &s.expenses[i], reply{}
}

// getExpense serves GET /expenses/{expense_id}.
func (s *Server) getExpense(r *http.Request, _ time.Time) reply {
	e, bad := s.expenseByPath(r)
	if e == nil {
		return bad
	}
	return jsonReply(s.appendExpense(nil, e))
}

// getReceipt serves GET /expenses/{expense_id}/receipts/{receipt_id}/content.
func (s *Server) getReceipt(r *http.Request, _ time.Time) reply {
	e, bad := s.expenseByPath(r)
	if e == nil {
		return bad
	}
	v := r.PathValue("receipt_id")
	u, ok := parseUUID(v)
	if !ok {
		return badRequest("Invalid receipt_id: %q is not a UUID", v)
	}
	for _, rc := range e.receipts {
		if rc.id == u {
			ctype, data := receiptContent(rc)
			return reply{status: http.StatusOK, ctype: ctype, body: data}
		}
	}
	return notFound("Receipt '" + v + "' for expense '" + e.id.String() + "' not found")
}

// pageItem is one row of a page_token-paged list, newest first.
type pageItem struct {
	created int64
	id      uuid
	render  func([]byte) []byte
}

// page serves a page_token list. The token is base64 of the last row's created_at and id,
// like the API's own tokens; the next page starts after that row.
func page(r *http.Request, key string, items []pageItem) reply {
	q := r.URL.Query()
	limit, bad := parseCount(q, "limit", 100, 500)
	if bad.status != 0 {
		return bad
	}
	slices.SortStableFunc(items, func(a, b pageItem) int {
		if a.created != b.created {
			if a.created > b.created {
				return -1
			}
			return 1
		}
		return strings.Compare(a.id.String(), b.id.String())
	})
	start := 0
	if tok := q.Get("page_token"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(tok, "="))
		if err != nil || len(raw) != 24+36 {
			return badRequest("Invalid page_token")
		}
		id, ok := parseUUID(string(raw[24:]))
		i := slices.IndexFunc(items, func(it pageItem) bool { return it.id == id })
		if !ok || i < 0 {
			return badRequest("Invalid page_token")
		}
		start = i + 1
	}
	end := min(len(items), start+limit)
	b := append([]byte{'{'}, '"')
	b = append(b, key...)
	b = append(b, `":[`...)
	for i := start; i < end; i++ {
		if i > start {
			b = append(b, ',')
		}
		b = items[i].render(b)
	}
	b = append(b, ']')
	if end < len(items) {
		last := items[end-1]
		tok := fromNanos(last.created).AppendFormat(nil, revolut.APIFormat)
		tok = last.id.appendTo(tok)
		b = appendStr(b, false, "next_page_token", base64.RawURLEncoding.EncodeToString(tok))
	}
	return jsonReply(append(b, '}'))
}

func appendSetting(b []byte, id uuid, name string, created, updated int64, extra func([]byte) []byte) []byte {
	b = appendID(append(b, '{'), true, "id", id)
	b = appendStr(b, false, "name", name)
	if extra != nil {
		b = extra(b)
	}
	b = appendKey(b, false, "created_at")
	b = appendTime(b, created)
	b = appendKey(b, false, "updated_at")
	b = appendTime(b, updated)
	return append(b, '}')
}

// getCategories serves GET /accounting-categories.
func (s *Server) getCategories(r *http.Request, _ time.Time) reply {
	items := make([]pageItem, len(s.w.categories))
	for i := range s.w.categories {
		c := &s.w.categories[i]
		items[i] = pageItem{created: c.created, id: c.id, render: func(b []byte) []byte {
			return appendSetting(b, c.id, c.name, c.created, c.updated, func(b []byte) []byte {
				if c.code != "" {
					b = appendStr(b, false, "code", c.code)
				}
				return appendID(b, false, "default_tax_rate_id", s.w.taxRates[c.defaultTax].id)
			})
		}}
	}
	return page(r, "accounting_categories", items)
}

// getTaxRates serves GET /tax-rates.
func (s *Server) getTaxRates(r *http.Request, _ time.Time) reply {
	items := make([]pageItem, len(s.w.taxRates))
	for i := range s.w.taxRates {
		t := &s.w.taxRates[i]
		items[i] = pageItem{created: t.created, id: t.id, render: func(b []byte) []byte {
			return appendSetting(b, t.id, t.name, t.created, t.updated, func(b []byte) []byte {
				return append(appendKey(b, false, "percentage"), t.percent...)
			})
		}}
	}
	return page(r, "tax_rates", items)
}

// getLabelGroups serves GET /label-groups.
func (s *Server) getLabelGroups(r *http.Request, _ time.Time) reply {
	items := make([]pageItem, len(s.w.labelGroups))
	for i := range s.w.labelGroups {
		g := &s.w.labelGroups[i]
		items[i] = pageItem{created: g.created, id: g.id, render: func(b []byte) []byte {
			return appendSetting(b, g.id, g.name, g.created, g.updated, nil)
		}}
	}
	return page(r, "label_groups", items)
}

// getLabels serves GET /label-groups/{group_id}/labels.
func (s *Server) getLabels(r *http.Request, _ time.Time) reply {
	v := r.PathValue("group_id")
	u, ok := parseUUID(v)
	if !ok {
		return badRequest("Invalid group_id: %q is not a UUID", v)
	}
	for gi := range s.w.labelGroups {
		g := &s.w.labelGroups[gi]
		if g.id != u {
			continue
		}
		items := make([]pageItem, len(g.labels))
		for i := range g.labels {
			l := &g.labels[i]
			items[i] = pageItem{created: l.created, id: l.id, render: func(b []byte) []byte {
				return appendSetting(b, l.id, l.name, l.created, l.updated, nil)
			}}
		}
		return page(r, "labels", items)
	}
	return notFound("Label group '" + v + "' not found")
}

// createdBefore is the shared paging of cards, team members and counterparties: rows
// created strictly before created_before (default: now), newest first, at most limit.
func (s *Server) createdBefore(r *http.Request, now time.Time, maxLimit int, n int, created func(int) int64, keep func(int) bool, render func([]byte, int) []byte) reply {
	q := r.URL.Query()
	before, has, bad := parseInstant(q, "created_before")
	if bad.status != 0 {
		return bad
	}
	if !has {
		before = now.UnixNano() + 1
	}
	limit, bad := s.pageCount(q, "limit", 100, maxLimit)
	if bad.status != 0 {
		return bad
	}
	idx := make([]int, 0, n)
	for i := range n {
		if created(i) < before && keep(i) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		ca, cb := created(a), created(b)
		switch {
		case ca > cb:
			return -1
		case ca < cb:
			return 1
		}
		return 0
	})
	b := []byte{'['}
	for k, i := range idx[:min(limit, len(idx))] {
		if k > 0 {
			b = append(b, ',')
		}
		b = render(b, i)
	}
	return jsonReply(append(b, ']'))
}

// getCards serves GET /cards.
func (s *Server) getCards(r *http.Request, now time.Time) reply {
	cs := s.w.cards
	return s.createdBefore(r, now, 100, len(cs), func(i int) int64 { return cs[i].created }, func(int) bool { return true },
		func(b []byte, i int) []byte { return s.appendCard(b, &cs[i]) })
}

func (s *Server) appendCard(b []byte, c *card) []byte {
	b = appendID(append(b, '{'), true, "id", c.id)
	if c.holder >= 0 {
		b = appendID(b, false, "holder_id", s.w.members[c.holder].id)
	}
	b = appendKey(b, false, "created_at")
	b = appendTime(b, c.created)
	b = appendKey(b, false, "updated_at")
	b = appendTime(b, c.updated)
	b = appendKey(b, false, "virtual")
	b = strconv.AppendBool(b, c.virtual)
	b = appendStr(b, false, "last_digits", c.lastDigits)
	b = appendStr(b, false, "expiry", c.expiry)
	if c.label != "" {
		b = appendStr(b, false, "label", c.label)
	}
	b = appendRefs(b, c.refs)
	b = appendStr(b, false, "state", c.state)
	if c.state == "locked" {
		b = appendKey(b, false, "can_be_unlocked")
		b = append(b, "true"...)
	}
	b = appendKey(b, false, "spending_limits")
	b = appendKey(append(b, '{'), true, "single")
	b = appendMoney(b, c.limitSingle, c.limitCur)
	b = appendKey(b, false, "month")
	b = appendMoney(b, c.limitMonth, c.limitCur)
	b = append(b, '}')
	b = appendKey(b, false, "accounts")
	b = append(b, '[')
	for i, a := range c.accounts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = s.w.accounts[a].id.appendTo(b)
		b = append(b, '"')
	}
	return append(b, ']', '}')
}

// getTeamMembers serves GET /team-members.
func (s *Server) getTeamMembers(r *http.Request, now time.Time) reply {
	ms := s.w.members
	return s.createdBefore(r, now, 1000, len(ms), func(i int) int64 { return ms[i].created }, func(int) bool { return true },
		func(b []byte, i int) []byte { return appendMember(b, &ms[i]) })
}

func appendMember(b []byte, m *member) []byte {
	b = appendID(append(b, '{'), true, "id", m.id)
	b = appendStr(b, false, "email", m.email)
	b = appendStr(b, false, "first_name", m.first)
	b = appendStr(b, false, "last_name", m.last)
	b = appendStr(b, false, "state", m.state)
	b = appendStr(b, false, "role_id", m.rol)
	b = appendKey(b, false, "created_at")
	b = appendTime(b, m.created)
	b = appendKey(b, false, "updated_at")
	b = appendTime(b, m.updated)
	return append(b, '}')
}

// getCounterparties serves GET /counterparties with its name and account filters.
func (s *Server) getCounterparties(r *http.Request, now time.Time) reply {
	cps := s.w.counterparties
	q := r.URL.Query()
	name := strings.ToLower(q.Get("name"))
	keep := func(i int) bool {
		c := &cps[i]
		return (name == "" || strings.Contains(strings.ToLower(c.name), name)) &&
			(q.Get("account_no") == "" || q.Get("account_no") == c.accountNo) &&
			(q.Get("sort_code") == "" || q.Get("sort_code") == c.sort) &&
			(q.Get("iban") == "" || q.Get("iban") == c.iban) &&
			(q.Get("bic") == "" || q.Get("bic") == c.bic)
	}
	return s.createdBefore(r, now, 1000, len(cps), func(i int) int64 { return cps[i].created }, keep,
		func(b []byte, i int) []byte { return appendCounterparty(b, &cps[i]) })
}

func appendCounterparty(b []byte, c *counterparty) []byte {
	b = appendID(append(b, '{'), true, "id", c.id)
	b = appendStr(b, false, "name", c.name)
	if c.revolut {
		b = appendStr(b, false, "revtag", strings.ToLower(strings.ReplaceAll(asciiOnly(c.name), " ", "")))
	}
	b = appendStr(b, false, "profile_type", c.profile)
	b = appendStr(b, false, "country", c.country)
	b = appendStr(b, false, "state", "created")
	b = appendKey(b, false, "created_at")
	b = appendTime(b, c.created)
	b = appendKey(b, false, "updated_at")
	b = appendTime(b, c.updated)
	b = appendKey(b, false, "accounts")
	b = appendID(append(b, '[', '{'), true, "id", c.accountID)
	b = appendStr(b, false, "name", c.name)
	b = appendStr(b, false, "bank_country", c.country)
	b = appendStr(b, false, "currency", currencies[c.cur].code)
	typ := "external"
	if c.revolut {
		typ = "revolut"
	}
	b = appendStr(b, false, "type", typ)
	for _, kv := range [][2]string{{"account_no", c.accountNo}, {"sort_code", c.sort}, {"iban", c.iban}, {"bic", c.bic}} {
		if kv[1] != "" {
			b = appendStr(b, false, kv[0], kv[1])
		}
	}
	return append(b, '}', ']', '}')
}
