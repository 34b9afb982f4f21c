package revoluttest

import (
	"fmt"
	"testing"
)

func TestSmoke(t *testing.T) {
	s := NewTestServer(t, Options{End: fixedEnd, Quirks: true})
	tok := accessToken(t, s)
	for _, p := range []string{"/accounts", "/transactions?count=3", "/expenses?count=2", "/accounting-categories?limit=2", "/tax-rates", "/label-groups", "/cards?limit=2", "/team-members?limit=2", "/counterparties?limit=2"} {
		resp, b := get(t, s, tok, p)
		if len(b) > 1500 {
			b = b[:1500]
		}
		fmt.Println(p, resp.StatusCode, string(b))
	}
	d := s.Truth()
	fmt.Println(len(d.Transactions), len(d.Expenses), len(d.Receipts), len(d.Labels), d.Quirks[0].Kind, string(d.Quirks[0].Raw))
}
