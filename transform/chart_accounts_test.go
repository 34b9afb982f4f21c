package transform

import (
	"testing"
	"time"

	"github.com/revledger/revledger/extract/revolut"
)

func opened(day int) revolut.Time {
	return revolut.Time{Time: time.Date(2024, 1, day, 0, 0, 0, 0, time.UTC)}
}

// Two GBP accounts used to share 1200; each now gets its own code and a name from the account.
func TestChartForAccountsOwnCodes(t *testing.T) {
	t.Parallel()
	accounts := []revolut.Account{
		{ID: "z-savings", Name: "Savings", Currency: "GBP", CreatedAt: opened(2)},
		{ID: "a-main", Name: "Main", Currency: "GBP", CreatedAt: opened(1)},
		{ID: "eur", Name: "Euro", Currency: "EUR", CreatedAt: opened(3)},
		{ID: "later", Name: "Bills", Currency: "GBP", CreatedAt: opened(9)},
	}
	c := DefaultChart().WithDefaults().ForAccounts(accounts)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct{ code, name string }{
		"a-main":    {"1200", "Revolut Main GBP"},    // opened first: keeps the GBP code
		"z-savings": {"1210", "Revolut Savings GBP"}, // second GBP account: first free extra code
		"eur":       {"1201", "Revolut Euro EUR"},
		"later":     {"1211", "Revolut Bills GBP"}, // opened last: the older ones do not move
	}
	for id, w := range want {
		code := c.bankCode(id, "GBP")
		if id == "eur" {
			code = c.bankCode(id, "EUR")
		}
		if code != w.code || c.name(code, "") != w.name {
			t.Errorf("%s: code %s name %q, want %s %q", id, code, c.name(code, ""), w.code, w.name)
		}
	}
}

// The user's per-account codes win, the user's per-currency code goes to the first account of
// that currency, a user name for a code wins, and bank_merge_by_currency restores sharing.
func TestChartForAccountsOverrides(t *testing.T) {
	t.Parallel()
	accounts := []revolut.Account{
		{ID: "main", Name: "Main", Currency: "GBP", CreatedAt: opened(1)},
		{ID: "savings", Name: "Savings", Currency: "GBP", CreatedAt: opened(2)},
		{ID: "usd", Name: "Dollar", Currency: "USD", CreatedAt: opened(3)},
	}
	user := Chart{
		BankByAccount:  map[string]string{"main": "1250"},
		BankByCurrency: map[string]string{"GBP": "1260"},
		Names:          map[string]string{"1202": "Dollar account (Revolut)"},
	}.WithDefaults()
	c := user.ForAccounts(accounts)
	for _, tc := range []struct{ id, cur, code, name string }{
		{"main", "GBP", "1250", "1250"},                    // per-account override; no name configured
		{"savings", "GBP", "1260", "Revolut Savings GBP"},  // first account without an override takes the currency's code
		{"usd", "USD", "1202", "Dollar account (Revolut)"}, // user's name kept
	} {
		if code := c.bankCode(tc.id, tc.cur); code != tc.code || c.name(code, "") != tc.name {
			t.Errorf("%s: %s %q, want %s %q", tc.id, code, c.name(code, ""), tc.code, tc.name)
		}
	}
	user.BankMergeByCurrency = true
	m := user.ForAccounts(accounts)
	if m.bankCode("savings", "GBP") != "1260" || m.bankCode("main", "GBP") != "1250" {
		t.Errorf("merge by currency: savings %s main %s", m.bankCode("savings", "GBP"), m.bankCode("main", "GBP"))
	}
	if user.BankByAccount["savings"] != "" {
		t.Error("ForAccounts changed the chart it was called on")
	}
}
