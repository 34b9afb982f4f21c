package revolut

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Time is a timestamp from the Revolut API, always held in UTC.
//
// The API and its own documentation emit several forms of RFC 3339 date-time: with 0, 3 or 6
// fractional digits, and even without zero padding ("2025-10-6T08:34:18.123Z"). Time accepts
// all of them; encoding always writes the canonical form with millisecond precision, which is
// what the API itself emits and what its `from`/`to` filters accept.
type Time struct {
	time.Time
}

// timeLayouts are tried in order. Go's "1" and "2" verbs (not "01"/"02") accept one- or
// two-digit months and days, which covers the unpadded form; fractional seconds of any length
// are accepted by the ".999999999" verb.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-1-2T15:4:5.999999999Z07:00",
	"2006-1-2T15:4:5Z07:00",
	"2006-1-2T15:4:5.999999999",
	"2006-1-2T15:4:5",
	"2006-1-2",
}

// ParseTime parses any date-time form the Revolut API is known to emit.
func ParseTime(s string) (Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return Time{t.UTC()}, nil
		}
	}
	return Time{}, fmt.Errorf("revolut: unrecognised date-time %q", s)
}

// APIFormat is the layout Time uses when it writes a timestamp (JSON, query parameters).
const APIFormat = "2006-01-02T15:04:05.000Z"

// String returns the canonical API form, or "" for the zero Time.
func (t Time) String() string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(APIFormat)
}

// UnmarshalJSON accepts a JSON string in any known form, or null (leaving the zero Time).
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*t = Time{}
		return nil
	}
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return fmt.Errorf("revolut: date-time is not a JSON string: %s", b)
	}
	if s == "" {
		*t = Time{}
		return nil
	}
	parsed, err := ParseTime(s)
	if err != nil {
		return err
	}
	*t = parsed
	return nil
}

// MarshalJSON writes the canonical API form; the zero Time is written as null.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.String())
}
