package csvfmt

import (
	stdcsv "encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"

	"github.com/revledger/revledger/exporters/report"
	"github.com/revledger/revledger/transform"
	"github.com/shopspring/decimal"
)

// bom is the UTF-8 byte-order mark that starts the canonical journal.
const bom = "\uFEFF"

// Neutralize makes s safe to open in a spreadsheet: text that a spreadsheet would read as a
// formula gets a leading apostrophe, which spreadsheets show as plain text. That is text
// starting with '=', '+', '-', '@', a tab, a carriage return or a line feed (OWASP's list, with
// LF), or with their fullwidth forms ＝ ＋ － ＠ (which spreadsheets in CJK locales take as
// the ASCII ones); and text where one of those follows leading characters a spreadsheet skips
// or does not show: spaces of any kind (Unicode Zs, NBSP) and format characters (Unicode Cf:
// the byte-order mark, zero-width space and joiners). Other text is returned unchanged.
func Neutralize(s string) string {
	for _, r := range s {
		switch {
		case isFormulaStart(r) || r == '\t' || r == '\r' || r == '\n':
			return "'" + s
		case !unicode.Is(unicode.Zs, r) && !unicode.Is(unicode.Cf, r):
			return s
		}
		// A space or an invisible character: look through it.
	}
	return s
}

// isFormulaStart reports whether a spreadsheet starts a formula at r.
func isFormulaStart(r rune) bool {
	switch r {
	case '=', '+', '-', '@', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20':
		return true
	}
	return false
}

// Amount prints d with exactly the minor-unit decimals of currency ("-12.50", "1500", "0.125").
func Amount(d decimal.Decimal, currency string) string {
	return transform.Round(d, currency).StringFixed(transform.MinorUnits(currency))
}

func nullAmount(d decimal.NullDecimal, currency string) string {
	if !d.Valid {
		return ""
	}
	return Amount(d.Decimal, currency)
}

// writer is the shared CSV machinery: CRLF records, a row count, text neutralised by the
// callers through t().
type writer struct {
	w    *stdcsv.Writer
	rows int
}

func newWriter(w io.Writer, withBOM bool, header []string) (writer, error) {
	if withBOM {
		if _, err := io.WriteString(w, bom); err != nil {
			return writer{}, fmt.Errorf("write byte-order mark: %w", err)
		}
	}
	cw := stdcsv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(header); err != nil {
		return writer{}, fmt.Errorf("write header: %w", err)
	}
	return writer{w: cw}, nil
}

func (w *writer) record(rec []string) error {
	w.rows++
	for i, f := range rec {
		rec[i] = normalizeCR(f)
	}
	return w.w.Write(rec)
}

// normalizeCR turns the carriage returns of a value into line feeds (a CR LF pair into one
// LF). encoding/csv with UseCRLF writes each LF in a quoted field as CR LF but drops a lone
// CR, so "a\rb" would come back as "ab"; normalised, it comes back as a line break, as the
// CR meant, and every line break in the file is the same CR LF.
func normalizeCR(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// Rows returns the number of data rows written so far (the header is not counted).
func (w *writer) Rows() int { return w.rows }

// Close flushes buffered rows to the underlying writer; it does not close that writer.
func (w *writer) Close() error {
	w.w.Flush()
	return w.w.Error()
}

// JournalHeader is the canonical journal's header: every field of a ledger line.
var JournalHeader = []string{
	"entry_id", "booking_date", "occurred_at", "period", "line_key", "version",
	"account_code", "account_name", "debit", "credit", "amount", "currency",
	"original_amount", "original_currency", "net", "tax", "gross",
	"tax_rate_id", "tax_rate_name", "tax_rate_percent", "category_id", "category_code", "category_name",
	"labels", "counterparty", "merchant", "description", "reference",
	"transaction_id", "transaction_type", "transaction_state", "related_transaction_id",
	"expense_id", "expense_state", "receipt_ids", "revolut_account_id", "bank_balance",
	"card_id", "card_last_digits", "card_holder", "card_references", "card_label",
	"base_amount", "base_rate", "rate_source",
}

// Journal writes journal_{YYYY-MM}.csv: one row per ledger line with every field, for
// archiving and for tools that are not Xero or QuickBooks. Labels and card references are
// JSON objects (keys sorted) so that a value containing a separator stays unambiguous.
// base_amount is the line's value in the base currency (with its minor units), base_rate the
// rate it was converted at and rate_source where that rate came from; all three are empty for
// a line without a base amount (no rate was found).
type Journal struct {
	writer
	base string
}

// SetBaseCurrency sets the currency base_amount is in, for its decimals; default GBP.
func (j *Journal) SetBaseCurrency(currency string) {
	if currency != "" {
		j.base = currency
	}
}

// NewJournal writes the byte-order mark and header to w and returns the Journal.
func NewJournal(w io.Writer) (*Journal, error) {
	cw, err := newWriter(w, true, JournalHeader)
	if err != nil {
		return nil, fmt.Errorf("canonical journal: %w", err)
	}
	return &Journal{writer: cw, base: report.DefaultBaseCurrency}, nil
}

// Write appends the row of one line.
func (j *Journal) Write(l *transform.Line) error {
	debit, credit := "", ""
	if l.Amount.IsNegative() {
		credit = Amount(l.Amount.Neg(), l.Currency)
	} else {
		debit = Amount(l.Amount, l.Currency)
	}
	rate := ""
	if l.TaxRatePercent.Valid {
		rate = l.TaxRatePercent.Decimal.String()
	}
	orig := ""
	if l.OriginalAmount.Valid {
		orig = Amount(l.OriginalAmount.Decimal, l.OriginalCurrency)
	}
	refs := ""
	if len(l.CardReferences) > 0 {
		m := make(map[string]string, len(l.CardReferences))
		for _, r := range l.CardReferences {
			m[r.Name] = r.Value
		}
		refs = jsonObject(m)
	}
	return j.record([]string{
		t(l.EntryID), l.BookingDate.Format("2006-01-02"), l.OccurredAt.UTC().Format("2006-01-02T15:04:05Z"),
		l.Period, t(l.Key.String()), fmt.Sprint(l.Version),
		t(l.AccountCode), t(l.AccountName), debit, credit, Amount(l.Amount, l.Currency), l.Currency,
		orig, l.OriginalCurrency,
		nullAmount(l.Net, l.Currency), nullAmount(l.Tax, l.Currency), nullAmount(l.Gross, l.Currency),
		t(l.TaxRateID), t(l.TaxRateName), rate, t(l.CategoryID), t(l.CategoryCode), t(l.CategoryName),
		t(jsonObject(l.Labels)), t(l.Counterparty), t(l.Merchant), t(l.Description), t(l.Reference),
		t(l.TransactionID), t(l.TransactionType), t(l.TransactionState), t(l.RelatedTransactionID),
		t(l.ExpenseID), t(l.ExpenseState), t(strings.Join(l.ReceiptIDs, " ")), t(l.RevolutAccountID),
		nullAmount(l.BankBalance, l.Currency),
		t(l.CardID), t(l.CardLastDigits), t(l.CardHolder), t(refs), t(l.CardLabel),
		nullAmount(l.BaseAmount, j.base), nullRate(l.BaseRate), t(l.RateSource),
	})
}

// nullRate prints a rate exactly as stored ("0.855", "1"), or nothing.
func nullRate(d decimal.NullDecimal) string {
	if !d.Valid {
		return ""
	}
	return d.Decimal.String()
}

// t is Neutralize, short because every text column goes through it.
func t(s string) string { return Neutralize(s) }

func jsonObject(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	b, _ := json.Marshal(m) // a map[string]string always marshals; keys come out sorted
	return string(b)
}

// sortedLabels returns the label groups of m sorted by name, for the formats that take a
// fixed number of tracking columns.
func sortedLabels(m map[string]string) []string {
	groups := make([]string, 0, len(m))
	for g := range m {
		groups = append(groups, g)
	}
	slices.Sort(groups)
	return groups
}
