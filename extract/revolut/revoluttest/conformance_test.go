package revoluttest

import (
	"encoding/json"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/revledger/revledger/extract/revolut"
)

// specPath is the copy of the official spec vendored in the repository (see its README).
const specPath = "../testdata/business-openapi.json"

// loadSpec loads the official spec once. The published file holds six string-valued
// minimum/maximum keywords (payout links and webhooks) that kin-openapi refuses; they are
// dropped in memory, the file stays as published.
var loadSpec = sync.OnceValues(func() (*openapi3.T, error) {
	path := specPath
	if p := os.Getenv("REVOLUT_OPENAPI"); p != "" {
		path = p
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	dropStringBounds(doc)
	clean, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	spec, err := loader.LoadFromData(clean)
	if err != nil {
		return nil, err
	}
	return spec, nil
})

func dropStringBounds(v any) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range []string{"minimum", "maximum"} {
			if _, ok := x[k].(string); ok {
				delete(x, k)
			}
		}
		for _, c := range x {
			dropStringBounds(c)
		}
	case []any:
		for _, c := range x {
			dropStringBounds(c)
		}
	}
}

// validateOps are the validation options: the spec's own formats plus a strict uuid.
var validateOpts = []openapi3.SchemaValidationOption{
	openapi3.MultiErrors(),
	openapi3.VisitAsResponse(),
	openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC4122)),
}

// responseSchema is the 200 application/json schema of GET path.
func responseSchema(t *testing.T, spec *openapi3.T, path string) *openapi3.Schema {
	t.Helper()
	item := spec.Paths.Value(path)
	if item == nil || item.Get == nil {
		t.Fatalf("spec has no GET %s", path)
	}
	rr := item.Get.Responses.Status(200)
	if rr == nil || rr.Value == nil {
		t.Fatalf("spec has no 200 response for GET %s", path)
	}
	mt := rr.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		t.Fatalf("spec has no JSON schema for GET %s", path)
	}
	return mt.Schema.Value
}

func validateBody(t *testing.T, schema *openapi3.Schema, what string, body []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: not JSON: %v", what, err)
	}
	if err := schema.VisitJSON(v, validateOpts...); err != nil {
		t.Errorf("%s does not match the spec: %v", what, err)
	}
}

// TestConformance fetches every endpoint of the fake, following every page, and
// validates each response body against the operation's 200 schema in the official spec.
func TestConformance(t *testing.T) {
	spec, err := loadSpec()
	if err != nil {
		t.Fatalf("load spec: %v", err)
	}
	s := NewTestServer(t, Options{Seed: 7, End: fixedEnd})
	tok := accessToken(t, s)
	truth := s.Truth()

	check := func(specPath, reqPath string) []byte {
		t.Helper()
		body := getJSON(t, s, tok, reqPath, nil)
		validateBody(t, responseSchema(t, spec, specPath), "GET "+reqPath, body)
		return body
	}

	check("/accounts", "/accounts")

	// Every transaction page, walked the way a correct client must.
	seen := walkTransactions(t, s, tok, func(reqPath string, body []byte) {
		validateBody(t, responseSchema(t, spec, "/transactions"), "GET "+reqPath, body)
	})
	if len(seen) != len(truth.Transactions) {
		t.Errorf("walked %d transactions, truth has %d", len(seen), len(truth.Transactions))
	}

	// One single-transaction lookup per type.
	byType := map[string]string{}
	for _, tx := range truth.Transactions {
		byType[tx.Type] = tx.ID
	}
	for typ, id := range byType {
		t.Run("transaction/"+typ, func(t *testing.T) {
			check("/transaction/{id}", "/transaction/"+id)
		})
	}

	expSeen := map[string]bool{}
	to := ""
	for range 100 {
		q := url.Values{"count": {"500"}}
		if to != "" {
			q.Set("to", to)
		}
		var page []revolut.Expense
		if err := json.Unmarshal(check("/expenses", "/expenses?"+q.Encode()), &page); err != nil {
			t.Fatal(err)
		}
		fresh := 0
		for _, e := range page {
			if !expSeen[e.ID] {
				expSeen[e.ID], fresh = true, fresh+1
			}
		}
		if len(page) < 500 && fresh == 0 || len(page) == 0 {
			break
		}
		to = revolut.Time{Time: page[len(page)-1].ExpenseDate.Add(time.Millisecond)}.String()
	}
	if len(expSeen) != len(truth.Expenses) {
		t.Errorf("walked %d expenses, truth has %d", len(expSeen), len(truth.Expenses))
	}
	for _, e := range truth.Expenses[:5] {
		check("/expenses/{expense_id}", "/expenses/"+e.ID)
	}

	pagedSettings := []struct{ specPath, reqPath string }{
		{"/accounting-categories", "/accounting-categories?limit=5"},
		{"/tax-rates", "/tax-rates?limit=2"},
		{"/label-groups", "/label-groups?limit=2"},
	}
	for _, g := range truth.LabelGroups {
		pagedSettings = append(pagedSettings, struct{ specPath, reqPath string }{"/label-groups/{group_id}/labels", "/label-groups/" + g.ID + "/labels?limit=50"})
	}
	for _, ps := range pagedSettings {
		u, _ := url.Parse(ps.reqPath)
		pages := 0
		for {
			pages++
			var body struct {
				Next string `json:"next_page_token"`
			}
			if err := json.Unmarshal(check(ps.specPath, u.String()), &body); err != nil {
				t.Fatal(err)
			}
			if body.Next == "" || pages > 20 {
				break
			}
			q := u.Query()
			q.Set("page_token", body.Next)
			u.RawQuery = q.Encode()
		}
	}
	check("/cards", "/cards?limit=100")
	check("/team-members", "/team-members")
	check("/counterparties", "/counterparties?limit=1000")
}

// TestConformanceCatchesQuirks proves the validation above can fail: the unpadded date and
// the malformed amount of the quirk records are rejected by the same schema.
func TestConformanceCatchesQuirks(t *testing.T) {
	spec, err := loadSpec()
	if err != nil {
		t.Fatalf("load spec: %v", err)
	}
	s, err := New(Options{End: fixedEnd, Transactions: 50, Quirks: true})
	if err != nil {
		t.Fatal(err)
	}
	schemas := map[string]*openapi3.Schema{
		"transactions": responseSchema(t, spec, "/transaction/{id}"),
		"expenses":     responseSchema(t, spec, "/expenses/{expense_id}"),
	}
	wantInvalid := map[string]bool{"expense_unpadded_date": true, "unpadded_date": true, "long_id": false, "malformed": true, "unknown_type": true, "unknown_state": true, "micro_fraction": false, "no_fraction": false, "nul_escape": false}
	quirks := s.Truth().Quirks
	if len(quirks) != len(wantInvalid) {
		t.Fatalf("%d quirks, want %d", len(quirks), len(wantInvalid))
	}
	for _, q := range quirks {
		var v any
		if err := json.Unmarshal(q.Raw, &v); err != nil {
			t.Fatalf("quirk %s is not JSON: %v", q.Kind, err)
		}
		err := schemas[q.Stream].VisitJSON(v, validateOpts...)
		if got := err != nil; got != wantInvalid[q.Kind] {
			t.Errorf("quirk %s: schema error = %v, want invalid = %v", q.Kind, err, wantInvalid[q.Kind])
		}
	}
}
