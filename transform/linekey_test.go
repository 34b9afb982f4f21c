package transform

import (
	"fmt"
	"testing"
)

// LineKey.String is the one encoding of a key (the loader stores it, the workbook shows it);
// it concatenates for speed, so check it against the plain "%s/%s/%d/%s" form it replaced.
func TestLineKeyStringForm(t *testing.T) {
	t.Parallel()
	for _, k := range []LineKey{
		{SourceType: SourceTransaction, SourceID: "tx-1", Index: 0, Role: "bank"},
		{SourceType: SourceExpense, SourceID: "a/b", Index: -3, Role: ""},
		{SourceType: SourceTransaction, SourceID: "ü", Index: 123456, Role: "vat"},
	} {
		if got, want := k.String(), fmt.Sprintf("%s/%s/%d/%s", k.SourceType, k.SourceID, k.Index, k.Role); got != want {
			t.Errorf("String(%#v) = %q, want %q", k, got, want)
		}
	}
}
