package revolut_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/revolut"
)

func TestDecodeAmountsExactly(t *testing.T) {
	t.Parallel()
	// Amounts that binary floating point cannot hold exactly; 0.1 + 0.2 must be 0.3.
	raw := `{"id":"t1","type":"card_payment","state":"completed","created_at":"2024-09-13T18:47:01.782Z",
		"updated_at":"2024-09-13T18:47:01.782Z","legs":[
		{"leg_id":"l1","amount":-0.1,"fee":0.2,"currency":"GBP","account_id":"a1","balance":411561.89},
		{"leg_id":"l2","amount":"-1.16","currency":"EUR","bill_amount":12345678901234567.89,"account_id":"a2"}]}`
	tx, err := revolut.DecodeTransaction(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	l1, l2 := tx.Legs[0], tx.Legs[1]
	if sum := l1.Amount.Neg().Add(l1.Fee.Decimal); !sum.Equal(decimal.RequireFromString("0.3")) {
		t.Errorf("0.1 + 0.2 = %s, want exactly 0.3", sum)
	}
	if got := l1.Balance.Decimal.String(); got != "411561.89" {
		t.Errorf("balance = %s, want 411561.89", got)
	}
	if got := l2.Amount.String(); got != "-1.16" {
		t.Errorf("amount given as a JSON string = %s, want -1.16", got)
	}
	if got := l2.BillAmount.Decimal.String(); got != "12345678901234567.89" {
		t.Errorf("bill amount = %s, want all 19 digits kept", got)
	}
	if l2.Fee.Valid || l2.Balance.Valid {
		t.Error("absent fee and balance must decode as not valid, not as zero")
	}
	if string(tx.Raw) != raw {
		t.Error("Raw is not the record exactly as received")
	}
}

func TestDecodeUnknownEnumsAndQuirks(t *testing.T) {
	t.Parallel()
	// A type and a state Revolut might add later, the 37-character id and the unpadded date
	// from Revolut's own documentation.
	raw := `{"id":"f09ad1ad3-a1c0-4c09-b8f8-24b439e72690","type":"crypto_swap","state":"frozen",
		"created_at":"2025-10-6T08:34:18.123Z","updated_at":"2025-10-06T08:34:18Z","legs":[]}`
	tx, err := revolut.DecodeTransaction(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	if tx.Type != "crypto_swap" || tx.State != "frozen" || len(tx.ID) != 37 {
		t.Errorf("got type %q state %q id %q", tx.Type, tx.State, tx.ID)
	}
	if got := tx.CreatedAt.String(); got != "2025-10-06T08:34:18.123Z" {
		t.Errorf("created_at = %s", got)
	}
}

func TestDecodeRecordErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		raw    string
		wantID string
		want   string
	}{
		{"amount not a number", `{"id":"bad-amount","created_at":"2024-01-01T00:00:00Z","legs":[{"amount":"12,50"}]}`, "bad-amount", "12,50"},
		{"unreadable date", `{"id":"bad-date","created_at":"last tuesday"}`, "bad-date", "last tuesday"},
		{"no id", `{"created_at":"2024-01-01T00:00:00Z"}`, "", "no id"},
		{"no created_at", `{"id":"no-time"}`, "no-time", "no timestamp"},
		{"numeric id", `{"id":42,"created_at":"2024-01-01T00:00:00Z"}`, "42", "cannot unmarshal"},
		{"not an object", `"oops"`, "", "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := revolut.DecodeTransaction(json.RawMessage(tt.raw))
			var re *revolut.RecordError
			if !errors.As(err, &re) {
				t.Fatalf("error %v is not a *RecordError", err)
			}
			if re.Stream != "transactions" || re.ID != tt.wantID || string(re.Raw) != tt.raw {
				t.Errorf("RecordError{Stream %q, ID %q, Raw %s}, want transactions, %q and the raw record", re.Stream, re.ID, re.Raw, tt.raw)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

// specExamples returns the example bodies of the 200 answer of GET path in the official spec
// (testdata/business-openapi.json, a verbatim copy), resolving $ref to components/examples.
func specExamples(t *testing.T, spec map[string]any, path string) map[string]json.RawMessage {
	t.Helper()
	get := func(v any, keys ...string) any {
		for _, k := range keys {
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		}
		return v
	}
	content := get(spec, "paths", path, "get", "responses", "200", "content", "application/json")
	if content == nil {
		t.Fatalf("spec has no JSON 200 answer for GET %s", path)
	}
	out := map[string]json.RawMessage{}
	add := func(name string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	if ex := get(content, "example"); ex != nil {
		add("example", ex)
	}
	if exs, ok := get(content, "examples").(map[string]any); ok {
		for name, ex := range exs {
			if ref, ok := get(ex, "$ref").(string); ok {
				ex = get(spec, "components", "examples", strings.TrimPrefix(ref, "#/components/examples/"))
			}
			add(name, get(ex, "value"))
		}
	}
	if len(out) == 0 {
		t.Fatalf("spec has no example for GET %s", path)
	}
	return out
}

// specTypos are the records of the spec's examples whose dates are not dates at all (day 32, a
// trailing "s"), by id. The client must quarantine them as per-record errors, not guess.
var specTypos = map[string]string{
	"173e6a6b-d955-465f-8f31-7f6f7c03927c": "2026-01-32",
	"2f76152a-2b14-4390-aa32-bbab02a1e98c": "570919Zs",
}

func recordIDOf(raw json.RawMessage) string {
	var r struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(raw, &r)
	return r.ID
}

// TestSpecExamplesDecode feeds every example answer of the official spec for the endpoints the
// client reads through the client's own decoders. The examples contain the quirks the notes
// list (micro- and millisecond dates, amounts as JSON numbers, an id that is not a UUID).
func TestSpecExamplesDecode(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/business-openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	// UseNumber keeps the amounts' text exact through the re-marshal of each example.
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var spec map[string]any
	if err := dec.Decode(&spec); err != nil {
		t.Fatal(err)
	}

	type decoder func(json.RawMessage) error
	wrap := func(f any) decoder {
		switch f := f.(type) {
		case func(json.RawMessage) (revolut.Transaction, error):
			return func(r json.RawMessage) error { _, err := f(r); return err }
		case func(json.RawMessage) (revolut.Expense, error):
			return func(r json.RawMessage) error { _, err := f(r); return err }
		case func(json.RawMessage) (revolut.Account, error):
			return func(r json.RawMessage) error { _, err := f(r); return err }
		case func(json.RawMessage) (revolut.Card, error):
			return func(r json.RawMessage) error { _, err := f(r); return err }
		case func(json.RawMessage) (revolut.TeamMember, error):
			return func(r json.RawMessage) error { _, err := f(r); return err }
		case func(json.RawMessage) (revolut.Counterparty, error):
			return func(r json.RawMessage) error { _, err := f(r); return err }
		case func(json.RawMessage) (revolut.AccountingCategory, error):
			return func(r json.RawMessage) error { _, err := f(r); return err }
		case func(json.RawMessage) (revolut.TaxRate, error):
			return func(r json.RawMessage) error { _, err := f(r); return err }
		case func(json.RawMessage) (revolut.LabelGroup, error):
			return func(r json.RawMessage) error { _, err := f(r); return err }
		case func(json.RawMessage) (revolut.Label, error):
			return func(r json.RawMessage) error {
				l, err := f(r)
				if err == nil && l.GroupID != "group-1" {
					return errors.New("GroupID not set from the request")
				}
				return err
			}
		}
		t.Fatalf("no decoder wrapper for %T", f)
		return nil
	}
	tests := []struct {
		path   string
		shape  string // "list", "one" or the field of a page_token envelope
		decode decoder
	}{
		{"/transactions", "list", wrap(revolut.DecodeTransaction)},
		{"/transaction/{id}", "one", wrap(revolut.DecodeTransaction)},
		{"/expenses", "list", wrap(revolut.DecodeExpense)},
		{"/expenses/{expense_id}", "one", wrap(revolut.DecodeExpense)},
		{"/accounts", "list", wrap(revolut.DecodeAccount)},
		{"/cards", "list", wrap(revolut.DecodeCard)},
		{"/team-members", "list", wrap(revolut.DecodeTeamMember)},
		{"/counterparties", "list", wrap(revolut.DecodeCounterparty)},
		{"/accounting-categories", "accounting_categories", wrap(revolut.DecodeAccountingCategory)},
		{"/tax-rates", "tax_rates", wrap(revolut.DecodeTaxRate)},
		{"/label-groups", "label_groups", wrap(revolut.DecodeLabelGroup)},
		{"/label-groups/{group_id}/labels", "labels", wrap(revolut.DecodeLabel)},
	}
	for _, tt := range tests {
		for name, body := range specExamples(t, spec, tt.path) {
			t.Run(tt.path+"/"+name, func(t *testing.T) {
				var recs []json.RawMessage
				switch tt.shape {
				case "one":
					recs = []json.RawMessage{body}
				case "list":
					if err := json.Unmarshal(body, &recs); err != nil {
						t.Fatalf("example is not a JSON array: %v", err)
					}
				default:
					n, _, err := revolut.DecodeTokenPage(tt.shape, body)
					if err != nil {
						t.Fatalf("page envelope: %v", err)
					}
					var env map[string]json.RawMessage
					if err := json.Unmarshal(body, &env); err != nil {
						t.Fatal(err)
					}
					if err := json.Unmarshal(env[tt.shape], &recs); err != nil {
						t.Fatal(err)
					}
					if n != len(recs) {
						t.Fatalf("envelope decoder found %d records, the example has %d", n, len(recs))
					}
				}
				if len(recs) == 0 && name != "no_search_results" {
					t.Fatal("example has no records")
				}
				for _, r := range recs {
					err := tt.decode(r)
					id := recordIDOf(r)
					if bad, known := specTypos[id]; known {
						// The spec's own typo must come out as a per-record error naming it.
						var re *revolut.RecordError
						if !errors.As(err, &re) || re.ID != id || !strings.Contains(err.Error(), bad) {
							t.Errorf("record %s with the typo %q: got %v, want a *RecordError naming it", id, bad, err)
						}
						continue
					}
					if err != nil {
						t.Errorf("decode: %v", err)
					}
				}
			})
		}
	}
}

// TestSpecExpenseExample checks decoded values of the spec's first /expenses example by hand:
// its two splits, 15.39 GBP and 8.99 GBP, add up to the spent amount 24.38 GBP exactly.
func TestSpecExpenseExample(t *testing.T) {
	t.Parallel()
	raw := `{"id":"8decf9f8-053e-46cb-92d8-a7b450fe5ae0","state":"approved","transaction_type":"card_payment",
	"expense_date":"2024-09-13T18:47:01.782Z","splits":[
	{"amount":{"amount":15.39,"currency":"GBP"},"category":{"id":"c1","name":"Printing & Stationery","code":"461"},"tax_rate":{"id":"r1","name":"VAT","percentage":20}},
	{"amount":{"amount":8.99,"currency":"GBP"},"category":{"id":"c2","name":"Groceries","code":"555"},"tax_rate":{"id":"r2","name":"No VAT","percentage":0}}],
	"labels":{"Department":["HR"]},"receipt_ids":["84c0169a-37f9-4bfa-ab1e-f2c81dbc34cf"],"spent_amount":{"amount":24.38,"currency":"GBP"}}`
	e, err := revolut.DecodeExpense(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	sum := e.Splits[0].Amount.Amount.Add(e.Splits[1].Amount.Amount)
	if !sum.Equal(e.SpentAmount.Amount) || e.SpentAmount.Amount.String() != "24.38" {
		t.Errorf("splits add to %s, spent %s; want both 24.38", sum, e.SpentAmount.Amount)
	}
	if p := e.Splits[0].TaxRate.Percentage; !p.Valid || !p.Decimal.Equal(decimal.NewFromInt(20)) {
		t.Errorf("VAT percentage = %v, want 20", p)
	}
	if p := e.Splits[1].TaxRate.Percentage; !p.Valid || !p.Decimal.IsZero() {
		t.Errorf("No VAT percentage = %v, want a present 0, not absent", p)
	}
}
