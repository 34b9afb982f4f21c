package jsonb

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/revledger/revledger/internal/testenv"
)

// The expected texts below follow PostgreSQL's documented jsonb rules (keys by length, then
// bytes; the last of a repeated key wins; numeric's scale is the input's fraction digits less
// the exponent) and are checked against the server itself in TestCanonicalAgreesWithPostgres.
var canonicalCases = []struct {
	name, in, want string
}{
	{"empty object", ` { } `, `{}`},
	{"empty array", "[\n]", `[]`},
	{"literals", `[true,false,null]`, `[true, false, null]`},
	{"keys by length then bytes", `{"bb":1,"a":2,"ab":3,"B":4}`, `{"B": 4, "a": 2, "ab": 3, "bb": 1}`},
	{"last repeated key wins", `{"a":1,"b":2,"a":3}`, `{"a": 3, "b": 2}`},
	{"repeated key in a nested object", `{"x":{"k":1,"k":{"k":2}}}`, `{"x": {"k": {"k": 2}}}`},
	{"non-ASCII key sorts by its byte length", `{"é":1,"ab":2,"z":3}`, `{"z": 3, "ab": 2, "é": 1}`},
	{"escapes decoded, only quote backslash and controls escaped", `"\u00e9\/\"\\\b\f\n\r\t\u001f\u007f"`,
		"\"é/\\\"\\\\\\b\\f\\n\\r\\t\\u001f\u007f\""},
	{"surrogate pair", `"\ud83d\ude00"`, `"😀"`},
	{"upper-case hex escape", `"\u00C9"`, `"É"`},
	{"trailing zeros kept", `1.50`, `1.50`},
	{"exponent shifts the point", `1.50e1`, `15.0`},
	{"exponent removes the scale", `0.001e3`, `1`},
	{"positive exponent pads", `12E+3`, `12000`},
	{"negative exponent", `123e-5`, `0.00123`},
	{"negative zero loses its sign", `-0.00`, `0.00`},
	{"zero with an exponent", `0e5`, `0`},
	{"zero with a negative exponent", `0.0e-3`, `0.0000`},
	{"negative", `-12.30`, `-12.30`},
	{"large integer", `12345678901234567890123`, `12345678901234567890123`},
	{"nesting and spacing", "{\"a\" :\t[1 ,{\"c\":[],\"b\":{}}] }", `{"a": [1, {"b": {}, "c": []}]}`},
}

var invalidCases = []struct{ name, in string }{
	{"NUL escape", `{"a":"\u0000"}`},
	{"lone low surrogate", `"\udc00"`},
	{"high surrogate without low", `"\ud800x"`},
	{"high surrogate then non-surrogate", `"\ud800\u0041"`},
	{"invalid UTF-8", "\"\xff\""},
	{"raw control character", "\"a\tb\""},
	{"bad escape", `"\x"`},
	{"short unicode escape", `"\u12"`},
	{"leading zero", `01`},
	{"lone minus", `-`},
	{"no digit after point", `1.`},
	{"no exponent digits", `1e`},
	{"letters after a number", `1x`},
	{"trailing data", `{} {}`},
	{"trailing comma", `[1,]`},
	{"unterminated", `{"a":1`},
	{"single quotes", `{'a':1}`},
	{"literal run on", `truex`},
	{"empty", ``},
	{"number out of range", `1e-16390`},
}

func TestCanonical(t *testing.T) {
	t.Parallel()
	for _, tc := range canonicalCases {
		got, err := Canonical(nil, []byte(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: Canonical(%q) = %q, %v; want %q", tc.name, tc.in, got, err, tc.want)
		}
		again, err := Canonical(nil, got)
		if err != nil || string(again) != string(got) {
			t.Errorf("%s: not idempotent: %q -> %q, %v", tc.name, got, again, err)
		}
	}
	for _, tc := range invalidCases {
		if got, err := Canonical([]byte("keep"), []byte(tc.in)); err == nil || string(got) != "keep" {
			t.Errorf("%s: Canonical(%q) = %q, %v; want an error and dst unchanged", tc.name, tc.in, got, err)
		}
	}
}

// TestCanonicalAgreesWithPostgres is the contract: for the hand-written cases and for 20,000
// generated documents (seeded, so a failure reproduces), Canonical's text is byte for byte
// what PostgreSQL prints for the document cast to jsonb, and every document it refuses,
// PostgreSQL refuses too.
func TestCanonicalAgreesWithPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testenv.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	docs := make([]string, 0, 20_000+len(canonicalCases))
	for _, tc := range canonicalCases {
		docs = append(docs, tc.in)
	}
	rng := rand.New(rand.NewPCG(2026, 11))
	for range 20_000 {
		var b strings.Builder
		genValue(rng, &b, 0)
		docs = append(docs, b.String())
	}
	for i, d := range docs {
		if _, err := Canonical(nil, []byte(d)); err != nil {
			t.Fatalf("generated document %d refused: %v\n%s", i, err, d)
		}
	}
	const chunk = 2000
	for from := 0; from < len(docs); from += chunk {
		part := docs[from:min(from+chunk, len(docs))]
		var texts []string
		if err := conn.QueryRow(ctx, `SELECT array_agg(d::jsonb::text ORDER BY n) FROM unnest($1::text[]) WITH ORDINALITY AS u (d, n)`,
			part).Scan(&texts); err != nil {
			t.Fatal(err)
		}
		for i, want := range texts {
			got, _ := Canonical(nil, []byte(part[i]))
			if string(got) != want {
				t.Fatalf("document %d:\n in: %s\ngot: %s\n pg: %s", from+i, part[i], got, want)
			}
		}
	}

	for _, tc := range invalidCases {
		var text string
		err := conn.QueryRow(ctx, "SELECT $1::jsonb::text", tc.in).Scan(&text)
		if err == nil {
			t.Errorf("%s: PostgreSQL accepts %q as %q, Canonical refuses it", tc.name, tc.in, text)
		}
	}
}

// genValue writes a random JSON value that exercises what jsonb normalises: key order and
// repeats, escapes, non-ASCII, number forms and whitespace.
func genValue(rng *rand.Rand, b *strings.Builder, depth int) {
	ws := func() {
		for range rng.IntN(3) {
			b.WriteByte(" \t\n\r"[rng.IntN(4)])
		}
	}
	kind := rng.IntN(10)
	if depth > 4 {
		kind = 3 + rng.IntN(7) // scalars only
	}
	ws()
	switch {
	case kind <= 1:
		b.WriteByte('{')
		keys := []string{"id", "amount", "a", "b", "ab", "é", "state", ""}
		for i := range rng.IntN(6) {
			if i > 0 {
				b.WriteByte(',')
			}
			ws()
			if rng.IntN(3) == 0 {
				genString(rng, b)
			} else {
				fmt.Fprintf(b, "%q", keys[rng.IntN(len(keys))])
			}
			ws()
			b.WriteByte(':')
			genValue(rng, b, depth+1)
		}
		b.WriteByte('}')
	case kind == 2:
		b.WriteByte('[')
		for i := range rng.IntN(5) {
			if i > 0 {
				b.WriteByte(',')
			}
			genValue(rng, b, depth+1)
		}
		b.WriteByte(']')
	case kind <= 5:
		genNumber(rng, b)
	case kind <= 8:
		genString(rng, b)
	default:
		b.WriteString([]string{"true", "false", "null"}[rng.IntN(3)])
	}
	ws()
}

func genNumber(rng *rand.Rand, b *strings.Builder) {
	digits := func(n int) {
		for range n {
			b.WriteByte(byte('0' + rng.IntN(10)))
		}
	}
	if rng.IntN(3) == 0 {
		b.WriteByte('-')
	}
	if rng.IntN(3) == 0 {
		b.WriteByte('0')
	} else {
		b.WriteByte(byte('1' + rng.IntN(9)))
		digits(rng.IntN(25))
	}
	if rng.IntN(2) == 0 {
		b.WriteByte('.')
		digits(1 + rng.IntN(12))
	}
	if rng.IntN(3) == 0 {
		b.WriteByte("eE"[rng.IntN(2)])
		if rng.IntN(2) == 0 {
			b.WriteByte("+-"[rng.IntN(2)])
		}
		fmt.Fprintf(b, "%d", rng.IntN(40))
	}
}

func genString(rng *rand.Rand, b *strings.Builder) {
	pieces := []string{"a", "Z", " ", "é", "☕", "😀", `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`,
		`\u0001`, `\u001F`, `\u0020`, `\u00e9`, `\u20AC`, `\ud83d\ude00`, `\u007f`, "\u007f", "\u2028"}
	b.WriteByte('"')
	for range rng.IntN(8) {
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	b.WriteByte('"')
}

// FuzzCanonical checks what holds for any input: a document Canonical accepts is valid JSON,
// and its canonical text is its own canonical text.
func FuzzCanonical(f *testing.F) {
	for _, tc := range canonicalCases {
		f.Add(tc.in)
	}
	for _, tc := range invalidCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := Canonical(nil, []byte(in))
		if err != nil {
			return
		}
		if !json.Valid([]byte(in)) || !json.Valid(out) {
			t.Fatalf("accepted %q as %q, which is not valid JSON", in, out)
		}
		again, err := Canonical(nil, out)
		if err != nil || string(again) != string(out) {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", in, out, again, err)
		}
	})
}

// A card payment as the Revolut API sends it (shape of revolut/business-openapi.json).
const benchDoc = `{"id":"6a8b5c1e-4f3d-4b2a-9c7e-1d2f3a4b5c6d","type":"card_payment","request_id":"r-1234567890",
"state":"completed","created_at":"2025-10-01T09:15:42.123456Z","updated_at":"2025-10-01T09:15:43.000000Z",
"completed_at":"2025-10-02T04:00:00.000000Z","reference":"Coffee for the team","merchant":{"name":"Café Bleu",
"city":"London","category_code":"5814","country":"GBR"},"legs":[{"leg_id":"7b9c6d2f-5e4a-4c3b-8d1f-2e3a4b5c6d7e",
"account_id":"acc-1d2f3a4b","counterparty":{"account_type":"external"},"amount":-12.50,"fee":0.00,"currency":"GBP",
"bill_amount":-14.35,"bill_currency":"EUR","description":"Caf\u00e9 Bleu","balance":10234.56}],
"card":{"id":"card-9f8e7d6c","card_number":"459678******1234","first_name":"Ada","last_name":"Lovelace","phone":"+44 20 7946 0000"}}`

func BenchmarkCanonical(b *testing.B) {
	var out []byte
	b.SetBytes(int64(len(benchDoc)))
	for b.Loop() {
		var err error
		if out, err = Canonical(out[:0], []byte(benchDoc)); err != nil {
			b.Fatal(err)
		}
	}
}
