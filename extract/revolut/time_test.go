package revolut_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/revledger/revledger/extract/revolut"
)

func TestParseTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want time.Time
	}{
		{"millis", "2024-09-13T20:48:40.912Z", time.Date(2024, 9, 13, 20, 48, 40, 912e6, time.UTC)},
		{"micros", "2024-08-31T17:21:20.364171Z", time.Date(2024, 8, 31, 17, 21, 20, 364171e3, time.UTC)},
		{"no fraction", "2024-08-31T17:21:20Z", time.Date(2024, 8, 31, 17, 21, 20, 0, time.UTC)},
		// The unpadded form printed in Revolut's own documentation.
		{"unpadded day", "2025-10-6T08:34:18.123Z", time.Date(2025, 10, 6, 8, 34, 18, 123e6, time.UTC)},
		{"unpadded month and day", "2025-1-6T08:34:18Z", time.Date(2025, 1, 6, 8, 34, 18, 0, time.UTC)},
		// 10:00+02:00 is 08:00 UTC.
		{"offset", "2025-03-01T10:00:00.5+02:00", time.Date(2025, 3, 1, 8, 0, 0, 5e8, time.UTC)},
		{"no zone", "2025-03-01T10:00:00", time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)},
		{"date only", "2025-03-01", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"spaces", "  2025-03-01T10:00:00Z ", time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := revolut.ParseTime(tt.in)
			if err != nil {
				t.Fatalf("ParseTime(%q): %v", tt.in, err)
			}
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("ParseTime(%q) = %v, want %v in UTC", tt.in, got.Time, tt.want)
			}
		})
	}
}

func TestParseTimeRejects(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "yesterday", "2025-13-01T00:00:00Z", "2025-02-30", "1700000000"} {
		if got, err := revolut.ParseTime(in); err == nil {
			t.Errorf("ParseTime(%q) = %v, want an error", in, got)
		}
	}
}

func TestTimeJSON(t *testing.T) {
	t.Parallel()
	var v struct {
		A revolut.Time `json:"a"`
		B revolut.Time `json:"b"`
		C revolut.Time `json:"c"`
	}
	if err := json.Unmarshal([]byte(`{"a":"2025-10-6T08:34:18.123456Z","b":null,"c":""}`), &v); err != nil {
		t.Fatal(err)
	}
	if !v.B.IsZero() || !v.C.IsZero() {
		t.Errorf("null and empty string should give the zero Time, got %v and %v", v.B, v.C)
	}
	// The canonical form has milliseconds: the micros 456 are cut, as the API's filters expect.
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":"2025-10-06T08:34:18.123Z","b":null,"c":null}`; string(out) != want {
		t.Errorf("Marshal = %s, want %s", out, want)
	}
	if err := json.Unmarshal([]byte(`{"a":1700000000}`), &v); err == nil {
		t.Error("a JSON number should not decode as a Time")
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2024-09-13T20:48:40.912Z", "2025-10-6T08:34:18.123Z", "2025-03-01", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := revolut.ParseTime(s)
		if err != nil {
			return
		}
		// Whatever parses must survive the canonical round trip to the millisecond.
		back, err := revolut.ParseTime(got.String())
		if err != nil {
			t.Fatalf("ParseTime(%q) = %v, but its String %q does not parse: %v", s, got, got.String(), err)
		}
		if !back.Equal(got.Truncate(time.Millisecond)) {
			t.Fatalf("round trip of %q: %v != %v", s, back, got.Truncate(time.Millisecond))
		}
	})
}
