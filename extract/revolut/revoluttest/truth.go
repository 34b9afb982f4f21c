package revoluttest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/revolut"
)

// Dataset is the fake's ground truth at one instant: every record it would serve, as
// revolut model values, in the API's own order. Each record's Raw holds the exact JSON the
// fake serves for it, and the values are decoded from that JSON, so a client that fetches
// everything correctly ends up with values equal to these (Raw aside).
type Dataset struct {
	// Now is the fake's clock when the snapshot was taken.
	Now time.Time
	// Accounts in API order, with current balances.
	Accounts []revolut.Account
	// OpeningBalances maps an account id to its balance before the first booked leg. For
	// each account, opening + Σ(amount − fee) over the legs of completed transactions (and
	// of reverted ones that had completed, whose revert takes the amount back out) equals
	// the current balance; a leg's balance is the running total when its transaction
	// completed. Quirk records carry no balance and do not count.
	OpeningBalances map[string]decimal.Decimal
	// Transactions, newest first by created_at, as GET /transactions lists them; the
	// undecodable quirk record is left out (see Quirks).
	Transactions []revolut.Transaction
	// Expenses, newest first by expense_date, as GET /expenses lists them.
	Expenses       []revolut.Expense
	Categories     []revolut.AccountingCategory
	TaxRates       []revolut.TaxRate
	LabelGroups    []revolut.LabelGroup
	Labels         []revolut.Label // GroupID filled in
	Cards          []Card
	TeamMembers    []TeamMember
	Counterparties []Counterparty
	// Receipts maps a receipt id to its content.
	Receipts map[string]Receipt
	// Quirks lists the trap records (empty unless Options.Quirks).
	Quirks []Quirk
}

// Receipt is the content of one expense receipt.
type Receipt struct {
	ID          string
	ExpenseID   string
	ContentType string // application/pdf, image/jpeg or image/png
	Data        []byte
}

// Card is a card as GET /cards returns it (schema CardResponse, the fields the fake fills).
type Card struct {
	ID             string                   `json:"id"`
	HolderID       string                   `json:"holder_id,omitempty"`
	CreatedAt      revolut.Time             `json:"created_at"`
	UpdatedAt      revolut.Time             `json:"updated_at"`
	Virtual        bool                     `json:"virtual"`
	LastDigits     string                   `json:"last_digits"`
	Expiry         string                   `json:"expiry"`
	Label          string                   `json:"label,omitempty"`
	References     []revolut.CardReference  `json:"references,omitempty"`
	State          string                   `json:"state"`
	CanBeUnlocked  bool                     `json:"can_be_unlocked,omitempty"`
	SpendingLimits map[string]revolut.Money `json:"spending_limits,omitempty"`
	Accounts       []string                 `json:"accounts"`

	Raw json.RawMessage `json:"-"`
}

// TeamMember is a team member as GET /team-members returns it (schema TeamMember).
type TeamMember struct {
	ID        string       `json:"id"`
	Email     string       `json:"email"`
	FirstName string       `json:"first_name,omitempty"`
	LastName  string       `json:"last_name,omitempty"`
	State     string       `json:"state"`
	RoleID    string       `json:"role_id"`
	CreatedAt revolut.Time `json:"created_at"`
	UpdatedAt revolut.Time `json:"updated_at"`

	Raw json.RawMessage `json:"-"`
}

// Counterparty is a counterparty as GET /counterparties returns it (schema Counterparty).
type Counterparty struct {
	ID          string                `json:"id"`
	Name        string                `json:"name"`
	Revtag      string                `json:"revtag,omitempty"`
	ProfileType string                `json:"profile_type,omitempty"`
	Country     string                `json:"country,omitempty"`
	State       string                `json:"state"`
	CreatedAt   revolut.Time          `json:"created_at"`
	UpdatedAt   revolut.Time          `json:"updated_at"`
	Accounts    []CounterpartyAccount `json:"accounts,omitempty"`

	Raw json.RawMessage `json:"-"`
}

// CounterpartyAccount is one bank account of a counterparty (schema CounterpartyAccount).
type CounterpartyAccount struct {
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	BankCountry string `json:"bank_country,omitempty"`
	Currency    string `json:"currency"`
	Type        string `json:"type"`
	AccountNo   string `json:"account_no,omitempty"`
	SortCode    string `json:"sort_code,omitempty"`
	IBAN        string `json:"iban,omitempty"`
	BIC         string `json:"bic,omitempty"`
}

// decodeRaw decodes one rendered record into v and keeps the bytes in *raw.
func decodeRaw[T any](b []byte, v *T, raw *json.RawMessage) {
	if err := json.Unmarshal(b, v); err != nil {
		panic(fmt.Sprintf("revoluttest: the fake rendered a record it cannot decode: %v: %s", err, b))
	}
	*raw = json.RawMessage(b)
}

// Truth returns the ground truth now (after applying every change due by the fake's clock).
// It copies everything, so at a million transactions it takes seconds and gigabytes;
// tests at that scale should compare counts and sums instead.
func (s *Server) Truth() Dataset {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.catchUp()
	s.sortExpenses()
	w := s.w
	d := Dataset{Now: s.now(), OpeningBalances: map[string]decimal.Decimal{}, Receipts: map[string]Receipt{}}
	d.Quirks = append(d.Quirks, s.quirks...)

	for i := range w.accounts {
		a := &w.accounts[i]
		var v revolut.Account
		decodeRaw(s.appendAccount(nil, a), &v, &v.Raw)
		d.Accounts = append(d.Accounts, v)
		d.OpeningBalances[a.id.String()] = decimal.New(a.opening, -currencies[a.cur].exp)
	}
	d.Transactions = make([]revolut.Transaction, 0, len(s.txs))
	for i := len(s.txs) - 1; i >= 0; i-- {
		t := &s.txs[i]
		if quirkOf(t) == "malformed" {
			continue
		}
		var v revolut.Transaction
		decodeRaw(s.appendTx(nil, t), &v, &v.Raw)
		d.Transactions = append(d.Transactions, v)
	}
	d.Expenses = make([]revolut.Expense, 0, len(s.expOrder))
	for i := len(s.expOrder) - 1; i >= 0; i-- {
		e := &s.expenses[s.expOrder[i]]
		var v revolut.Expense
		decodeRaw(s.appendExpense(nil, e), &v, &v.Raw)
		d.Expenses = append(d.Expenses, v)
		for _, rc := range e.receipts {
			ctype, data := receiptContent(rc)
			d.Receipts[rc.id.String()] = Receipt{ID: rc.id.String(), ExpenseID: e.id.String(), ContentType: ctype, Data: data}
		}
	}
	d.Categories = listPaged[revolut.AccountingCategory](s.getCategories, "accounting_categories", func(v *revolut.AccountingCategory) *json.RawMessage { return &v.Raw })
	d.TaxRates = listPaged[revolut.TaxRate](s.getTaxRates, "tax_rates", func(v *revolut.TaxRate) *json.RawMessage { return &v.Raw })
	d.LabelGroups = listPaged[revolut.LabelGroup](s.getLabelGroups, "label_groups", func(v *revolut.LabelGroup) *json.RawMessage { return &v.Raw })
	for _, g := range d.LabelGroups {
		labels := listPaged[revolut.Label](func(r *http.Request, now time.Time) reply {
			r.SetPathValue("group_id", g.ID)
			return s.getLabels(r, now)
		}, "labels", func(v *revolut.Label) *json.RawMessage { return &v.Raw })
		for i := range labels {
			labels[i].GroupID = g.ID
		}
		d.Labels = append(d.Labels, labels...)
	}
	d.Cards = listArray[Card](s.getCards, 100, func(v *Card) *json.RawMessage { return &v.Raw })
	d.TeamMembers = listArray[TeamMember](s.getTeamMembers, 1000, func(v *TeamMember) *json.RawMessage { return &v.Raw })
	d.Counterparties = listArray[Counterparty](s.getCounterparties, 1000, func(v *Counterparty) *json.RawMessage { return &v.Raw })
	return d
}

// listPaged collects every page of a page_token list through its own handler.
func listPaged[T any](h func(*http.Request, time.Time) reply, key string, raw func(*T) *json.RawMessage) []T {
	var out []T
	token := ""
	for {
		r := httptest.NewRequest(http.MethodGet, "/?limit=500&page_token="+url.QueryEscape(token), nil)
		rep := h(r, time.Time{})
		var pageBody map[string]json.RawMessage
		if err := json.Unmarshal(rep.body, &pageBody); err != nil {
			panic(fmt.Sprintf("revoluttest: decode own page: %v", err))
		}
		var items []json.RawMessage
		_ = json.Unmarshal(pageBody[key], &items)
		for _, it := range items {
			var v T
			decodeRaw(it, &v, raw(&v))
			out = append(out, v)
		}
		tok, ok := pageBody["next_page_token"]
		if !ok {
			return out
		}
		_ = json.Unmarshal(tok, &token)
	}
}

// listArray decodes a created_before list small enough for one page.
func listArray[T any](h func(*http.Request, time.Time) reply, limit int, raw func(*T) *json.RawMessage) []T {
	r := httptest.NewRequest(http.MethodGet, fmt.Sprintf("/?limit=%d", limit), nil)
	rep := h(r, time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)) // after every record
	var items []json.RawMessage
	if err := json.Unmarshal(rep.body, &items); err != nil {
		panic(fmt.Sprintf("revoluttest: decode own list: %v", err))
	}
	out := make([]T, 0, len(items))
	for _, it := range items {
		var v T
		decodeRaw(it, &v, raw(&v))
		out = append(out, v)
	}
	return out
}
