package revoluttest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/revledger/revledger/extract/revolut"
)

// pagingFixture is one shared fake for the read-only paging tests.
type pagingFixture struct {
	s     *Server
	tok   string
	truth Dataset
}

func newPagingFixture(t *testing.T) pagingFixture {
	t.Helper()
	s := NewTestServer(t, Options{Seed: 3, End: fixedEnd})
	return pagingFixture{s: s, tok: accessToken(t, s), truth: s.Truth()}
}

func apiTime(t time.Time) string { return revolut.Time{Time: t}.String() }

// clusters counts the transactions per created_at instant.
func clusters(txs []revolut.Transaction) map[time.Time]int {
	n := map[time.Time]int{}
	for _, tx := range txs {
		n[tx.CreatedAt.Time]++
	}
	return n
}

func TestTransactionsPaging(t *testing.T) {
	t.Parallel()
	f := newPagingFixture(t)
	var small, big time.Time
	var smallN, bigN int
	for at, n := range clusters(f.truth.Transactions) {
		if n > 1000 {
			big, bigN = at, n
		} else if n >= 5 && n > smallN {
			small, smallN = at, n
		}
	}
	if bigN == 0 || smallN == 0 {
		t.Fatalf("fixture lacks clusters: big %d small %d", bigN, smallN)
	}
	countAt := func(at time.Time) int { return clusters(f.truth.Transactions)[at] }
	olderThan := func(at time.Time) int {
		n := 0
		for _, tx := range f.truth.Transactions {
			if tx.CreatedAt.Before(at) {
				n++
			}
		}
		return n
	}

	cases := []struct {
		name  string
		query url.Values
		want  int // expected number of rows, computed from the truth
	}{
		{"default count is 100", url.Values{}, 100},
		{"count 1000", url.Values{"count": {"1000"}}, 1000},
		{"from inclusive, to exclusive: exactly one instant", url.Values{"from": {apiTime(small)}, "to": {apiTime(small.Add(time.Millisecond))}}, smallN},
		{"to is exclusive: the window ending at an instant leaves it out", url.Values{"from": {apiTime(small.Add(-time.Millisecond))}, "to": {apiTime(small)}}, countAt(small.Add(-time.Millisecond))},
		{"from is inclusive", url.Values{"from": {apiTime(small)}, "to": {apiTime(small.Add(time.Millisecond))}, "count": {"1"}}, 1},
		{"a cluster larger than a page is cut at count", url.Values{"from": {apiTime(big)}, "to": {apiTime(big.Add(time.Millisecond))}, "count": {"1000"}}, 1000},
		{"older than an instant", url.Values{"to": {apiTime(small)}, "count": {"1000"}}, min(1000, olderThan(small))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var page []revolut.Transaction
			getJSON(t, f.s, f.tok, "/transactions?"+c.query.Encode(), &page)
			if len(page) != c.want {
				t.Fatalf("got %d rows, want %d", len(page), c.want)
			}
			for i := 1; i < len(page); i++ {
				if page[i].CreatedAt.After(page[i-1].CreatedAt.Time) {
					t.Fatalf("row %d (%s) is newer than row %d (%s): not newest first", i, page[i].CreatedAt, i-1, page[i-1].CreatedAt)
				}
			}
			if from := c.query.Get("from"); from != "" {
				ft, _ := revolut.ParseTime(from)
				for _, tx := range page {
					if tx.CreatedAt.Before(ft.Time) {
						t.Fatalf("row %s before from %s", tx.CreatedAt, from)
					}
				}
			}
			if to := c.query.Get("to"); to != "" {
				tt, _ := revolut.ParseTime(to)
				for _, tx := range page {
					if !tx.CreatedAt.Before(tt.Time) {
						t.Fatalf("row %s not before to %s", tx.CreatedAt, to)
					}
				}
			}
		})
	}
}

// TestNaivePagerLosesRows shows the fake does not help a client that pages with
// to = last created_at: the rows sharing that instant beyond the page are skipped, while
// the overlapping walk gets every row exactly as the truth has it.
func TestNaivePagerLosesRows(t *testing.T) {
	t.Parallel()
	f := newPagingFixture(t)
	naive := map[string]bool{}
	to := ""
	for range 1000 {
		q := url.Values{"count": {"1000"}}
		if to != "" {
			q.Set("to", to)
		}
		var page []revolut.Transaction
		getJSON(t, f.s, f.tok, "/transactions?"+q.Encode(), &page)
		for _, tx := range page {
			naive[tx.ID] = true
		}
		if len(page) < 1000 {
			break
		}
		to = page[len(page)-1].CreatedAt.String()
	}
	if len(naive) >= len(f.truth.Transactions) {
		t.Errorf("naive pager got %d of %d rows; the fake should make it lose some", len(naive), len(f.truth.Transactions))
	}
	correct := walkTransactions(t, f.s, f.tok, nil)
	if len(correct) != len(f.truth.Transactions) {
		t.Fatalf("correct walk got %d rows, truth has %d", len(correct), len(f.truth.Transactions))
	}
	for _, want := range f.truth.Transactions {
		got, ok := correct[want.ID]
		if !ok || string(got.Raw) != "" && string(got.Raw) != string(want.Raw) {
			t.Fatalf("transaction %s missing or different", want.ID)
		}
	}
}

func TestTransactionFilters(t *testing.T) {
	t.Parallel()
	f := newPagingFixture(t)
	yen := f.truth.Accounts[4]
	if yen.Currency != "JPY" {
		t.Fatalf("fixture: account 4 is %s, want JPY", yen.Currency)
	}
	var wantExchanges, wantYen int
	for _, tx := range f.truth.Transactions {
		if tx.Type == revolut.TypeExchange {
			wantExchanges++
		}
		if slices.ContainsFunc(tx.Legs, func(l revolut.Leg) bool { return l.AccountID == yen.ID }) {
			wantYen++
		}
	}
	var ex []revolut.Transaction
	getJSON(t, f.s, f.tok, "/transactions?count=1000&type=exchange", &ex)
	if len(ex) != wantExchanges {
		t.Errorf("type=exchange: %d rows, want %d", len(ex), wantExchanges)
	}
	for _, tx := range ex {
		if tx.Type != revolut.TypeExchange || len(tx.Legs) != 2 || tx.Legs[0].Currency == tx.Legs[1].Currency {
			t.Errorf("exchange %s: type %s with %d legs", tx.ID, tx.Type, len(tx.Legs))
		}
	}
	var y []revolut.Transaction
	getJSON(t, f.s, f.tok, "/transactions?count=1000&account="+yen.ID, &y)
	if len(y) != wantYen {
		t.Errorf("account=yen: %d rows, want %d", len(y), wantYen)
	}
	for _, tx := range y {
		for _, l := range tx.Legs {
			if l.AccountID == yen.ID && l.Currency != "JPY" {
				t.Errorf("yen leg in %s", l.Currency)
			}
		}
	}
}

func TestBadParameters(t *testing.T) {
	t.Parallel()
	f := newPagingFixture(t)
	cases := []struct {
		path   string
		status int
	}{
		{"/transactions?count=1001", http.StatusBadRequest},
		{"/transactions?count=0", http.StatusBadRequest},
		{"/transactions?count=ten", http.StatusBadRequest},
		{"/transactions?from=yesterday", http.StatusBadRequest},
		{"/transactions?from=2026-03-02&to=2026-03-01", http.StatusBadRequest},
		{"/transactions?type=teleport", http.StatusBadRequest},
		{"/transactions?account=not-a-uuid", http.StatusBadRequest},
		{"/expenses?count=501", http.StatusBadRequest},
		{"/expenses?state=lost", http.StatusBadRequest},
		{"/expenses/not-a-uuid", http.StatusBadRequest},
		{"/accounting-categories?limit=501", http.StatusBadRequest},
		{"/label-groups?page_token=bm9wZQ", http.StatusBadRequest},
		{"/cards?limit=101", http.StatusBadRequest},
		{"/team-members?limit=1001", http.StatusBadRequest},
		{"/counterparties?created_before=soon", http.StatusBadRequest},
		{"/transaction/2c1f4a9e-0000-4000-8000-000000000000", http.StatusNotFound},
		{"/expenses/2c1f4a9e-0000-4000-8000-000000000000", http.StatusNotFound},
		{"/label-groups/2c1f4a9e-0000-4000-8000-000000000000/labels", http.StatusNotFound},
		{"/expenses/" + f.truth.Expenses[0].ID + "/receipts/2c1f4a9e-0000-4000-8000-000000000000/content", http.StatusNotFound},
		{"/no-such-endpoint", http.StatusNotFound},
	}
	for _, c := range cases {
		resp, body := get(t, f.s, f.tok, c.path)
		if resp.StatusCode != c.status {
			t.Errorf("GET %s: status %d, want %d (%s)", c.path, resp.StatusCode, c.status, body)
			continue
		}
		var e struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(body, &e); err != nil || e.Code == 0 || e.Message == "" {
			t.Errorf("GET %s: error body %s is not {code, message}", c.path, body)
		}
		if c.status == http.StatusNotFound && e.Code != 3006 {
			t.Errorf("GET %s: code %d, want 3006", c.path, e.Code)
		}
	}
}

func TestExpensesPaging(t *testing.T) {
	t.Parallel()
	f := newPagingFixture(t)
	all := f.truth.Expenses
	if len(all) < 150 {
		t.Fatalf("fixture has only %d expenses", len(all))
	}
	var page []revolut.Expense
	getJSON(t, f.s, f.tok, "/expenses", &page)
	if len(page) != 100 {
		t.Errorf("default count: %d rows, want 100", len(page))
	}
	for i := range page {
		if page[i].ID != all[i].ID {
			t.Fatalf("row %d is %s, truth (newest expense_date first) has %s", i, page[i].ID, all[i].ID)
		}
	}
	// A window [from, to) on expense_date around the 50th newest expense.
	pivot := all[50].ExpenseDate
	want := 0
	for _, e := range all {
		if !e.ExpenseDate.Before(pivot.Time) && e.ExpenseDate.Before(pivot.Add(30*24*time.Hour)) {
			want++
		}
	}
	page = nil
	getJSON(t, f.s, f.tok, "/expenses?count=500&from="+url.QueryEscape(pivot.String())+"&to="+url.QueryEscape(apiTime(pivot.Add(30*24*time.Hour))), &page)
	if len(page) != min(want, 500) {
		t.Errorf("window: %d rows, want %d", len(page), want)
	}
	page = nil // decoding into a used slice would keep fields of earlier rows
	getJSON(t, f.s, f.tok, "/expenses?count=500&transaction_type=mileage_reimbursement", &page)
	if len(page) == 0 {
		t.Error("no mileage expenses")
	}
	for _, e := range page {
		if e.TransactionType != revolut.ExpenseTypeMileage || e.TransactionID != "" {
			t.Errorf("mileage filter returned %s with transaction %q", e.TransactionType, e.TransactionID)
		}
	}
}

func TestPageTokens(t *testing.T) {
	t.Parallel()
	f := newPagingFixture(t)
	var project revolut.LabelGroup
	for _, g := range f.truth.LabelGroups {
		if g.Name == "Project" {
			project = g
		}
	}
	// The Project group has 130 labels: with limit=50 that is pages of 50, 50 and 30.
	var sizes []int
	seen := map[string]bool{}
	token := ""
	for range 10 {
		q := url.Values{"limit": {"50"}}
		if token != "" {
			q.Set("page_token", token)
		}
		var body struct {
			Labels []revolut.Label `json:"labels"`
			Next   string          `json:"next_page_token"`
		}
		getJSON(t, f.s, f.tok, "/label-groups/"+project.ID+"/labels?"+q.Encode(), &body)
		sizes = append(sizes, len(body.Labels))
		for _, l := range body.Labels {
			if seen[l.ID] {
				t.Fatalf("label %s repeated", l.ID)
			}
			seen[l.ID] = true
		}
		if body.Next == "" {
			break
		}
		token = body.Next
	}
	if !slices.Equal(sizes, []int{50, 50, 30}) {
		t.Errorf("page sizes %v, want [50 50 30]", sizes)
	}
	var body struct {
		Labels []revolut.Label `json:"labels"`
		Next   *string         `json:"next_page_token"`
	}
	getJSON(t, f.s, f.tok, "/label-groups/"+project.ID+"/labels?limit=500", &body)
	if len(body.Labels) != 130 || body.Next != nil {
		t.Errorf("limit=500: %d labels, next token %v; want 130 and none", len(body.Labels), body.Next)
	}
}

func TestCreatedBefore(t *testing.T) {
	t.Parallel()
	f := newPagingFixture(t)
	cards := f.truth.Cards // newest first
	if len(cards) != 16 {
		t.Fatalf("fixture has %d cards, want 16", len(cards))
	}
	var page []Card
	getJSON(t, f.s, f.tok, "/cards?limit=5", &page)
	if len(page) != 5 || page[0].ID != cards[0].ID || page[4].ID != cards[4].ID {
		t.Errorf("limit=5 did not return the 5 newest cards")
	}
	// created_before the 5th newest card: strictly older ones only, i.e. the 11 after it.
	page = nil
	getJSON(t, f.s, f.tok, "/cards?created_before="+url.QueryEscape(cards[4].CreatedAt.String()), &page)
	if len(page) != 11 || page[0].ID != cards[5].ID {
		t.Errorf("created_before: %d cards starting %v, want 11 starting %s", len(page), page[0].ID, cards[5].ID)
	}
	var members []TeamMember
	getJSON(t, f.s, f.tok, "/team-members?limit=1000", &members)
	if len(members) != len(f.truth.TeamMembers) {
		t.Errorf("team members: %d, want %d", len(members), len(f.truth.TeamMembers))
	}
	for i := 1; i < len(members); i++ {
		if members[i].CreatedAt.After(members[i-1].CreatedAt.Time) {
			t.Errorf("team members not newest first at %d", i)
		}
	}
	var cps []Counterparty
	getJSON(t, f.s, f.tok, "/counterparties?name=acme", &cps)
	if len(cps) != 1 || cps[0].Name != "Acme Supplies Ltd" {
		t.Errorf("name filter: %+v", cps)
	}
}
