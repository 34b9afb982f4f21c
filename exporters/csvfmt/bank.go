package csvfmt

import (
	"strconv"
	"strings"

	"github.com/revledger/revledger/transform"
	"github.com/shopspring/decimal"
)

// XeroStatementHeader is the header of Xero's precoded bank statement import: the statement
// template's Date, Amount, Payee, Description, Reference, plus the three precoding columns.
var XeroStatementHeader = []string{
	"Date", "Amount", "Payee", "Description", "Reference", "AccountCode", "TaxType", "ContactName",
}

// XeroStatementMaxLines is the most statement lines Xero imports from one file.
//
// Xero's statement import takes "a maximum of 1000 bank statement lines at a time"; the
// precoded columns AccountCode (a code of the chart, not a name) and TaxType (the tax rate's
// display name exactly as in Xero's tax settings) pre-fill the account and tax rate of each
// line, dates follow the organisation's region (dd/mm/yyyy for the UK) and Amount is one
// signed column, money in positive (Xero help, "Import a bank statement" and the precoded
// statement template; see the README).
const XeroStatementMaxLines = 1000

// StatementLine is one line of a Revolut account's statement as Xero gets it: a bank
// movement, or the part of one that a single split (or fee) explains. The lines made from one
// bank line sum exactly to its amount.
type StatementLine struct {
	Bank        *transform.Line // the bank (or fee_bank) line it belongs to
	Amount      decimal.Decimal // signed, money in positive, in Bank.Currency
	AccountCode string          // the other side; "" for a transfer to another bank account
	Tax         *transform.Line // the line whose tax rate applies (a split's net line), or nil
	Detail      string          // what the part is (a category), "" when it is the whole movement
}

// StatementLines divides an entry's bank movements into statement lines, and returns the
// lines that touch no bank (an expense without a transaction, say) for a manual journal.
//
// Per currency: a fee_bank line is explained by the fee line of its leg. When the entry moves
// one bank line in the currency, every other line of the currency explains part of it: a
// split's net and VAT lines together (the gross: Xero takes the VAT out itself from the tax
// rate of a precoded line), any other line alone, each negated. When it moves several (a
// transfer between the business's own accounts), each bank line is one line, coded to the
// other side only when there is exactly one other side, else left for a transfer in Xero.
func StatementLines(entry []transform.Line) (lines []StatementLine, rest []transform.Line) {
	type cur struct {
		banks, fees, others []*transform.Line
		feeBanks            []*transform.Line
	}
	byCur := map[string]*cur{}
	var order []string
	for i := range entry {
		l := &entry[i]
		c := byCur[l.Currency]
		if c == nil {
			c = &cur{}
			byCur[l.Currency] = c
			order = append(order, l.Currency)
		}
		switch baseRole(l) {
		case transform.RoleBank:
			c.banks = append(c.banks, l)
		case transform.RoleFeeBank:
			c.feeBanks = append(c.feeBanks, l)
		case transform.RoleFee:
			c.fees = append(c.fees, l)
		default:
			c.others = append(c.others, l)
		}
	}
	for _, name := range order {
		c := byCur[name]
		if len(c.banks) == 0 && len(c.feeBanks) == 0 {
			for _, l := range c.others {
				rest = append(rest, *l)
			}
			for _, l := range c.fees {
				rest = append(rest, *l)
			}
			continue
		}
		others := c.others
		fees := map[string]*transform.Line{}
		for _, f := range c.fees {
			fees[feeKey(f)] = f
		}
		paired := map[string]bool{}
		for _, fb := range c.feeBanks {
			paired[feeKey(fb)] = true
		}
		for _, f := range c.fees { // a fee without its bank line explains the movement too
			if !paired[feeKey(f)] {
				others = append(others, f)
			}
		}
		switch {
		case len(c.banks) == 0: // only fees moved the bank; the rest balances on its own
			for _, l := range others {
				rest = append(rest, *l)
			}
		case len(c.banks) == 1:
			bank := c.banks[0]
			groups := splitGroups(others)
			for _, g := range groups {
				sum := decimal.Zero
				for _, l := range g {
					sum = sum.Add(l.Amount)
				}
				sl := StatementLine{Bank: bank, Amount: sum.Neg(), AccountCode: g[0].AccountCode}
				if n := netOf(g); n != nil {
					sl.AccountCode, sl.Tax = n.AccountCode, n
				}
				if len(groups) > 1 {
					sl.Detail = g[0].CategoryName
					if n := netOf(g); n != nil {
						sl.Detail = n.CategoryName
					}
					if sl.Detail == "" {
						sl.Detail = g[0].AccountName
					}
				}
				if !sl.Amount.IsZero() {
					lines = append(lines, sl)
				}
			}
		default:
			code := ""
			if len(others) == 1 {
				code = others[0].AccountCode
			}
			for _, b := range c.banks {
				lines = append(lines, StatementLine{Bank: b, Amount: b.Amount, AccountCode: code})
			}
		}
		for _, fb := range c.feeBanks {
			code := ""
			if f := fees[feeKey(fb)]; f != nil {
				code = f.AccountCode
				delete(fees, feeKey(fb))
			}
			lines = append(lines, StatementLine{Bank: fb, Amount: fb.Amount, AccountCode: code})
		}
	}
	return lines, rest
}

func feeKey(l *transform.Line) string {
	return l.Key.SourceType + "\x00" + l.Key.SourceID + "\x00" + strconv.Itoa(l.Key.Index) +
		strings.TrimPrefix(l.Key.Role, baseRole(l))
}

// XeroStatement writes one Revolut account's precoded statement, in parts of at most
// XeroStatementMaxLines lines. Text is written as it is: Xero imports it as text and never
// evaluates it, so an apostrophe would only end up in the payee's name.
type XeroStatement struct {
	parts *Parts
	opts  XeroOptions
}

// NewXeroStatement returns the statement writer of one account; open creates its parts.
func NewXeroStatement(open Opener, opts XeroOptions) *XeroStatement {
	opts = opts.withDefaults()
	return &XeroStatement{parts: NewParts(XeroStatementHeader, opts.StatementMaxLines, open), opts: opts}
}

// Write appends the statement lines of one bank movement (kept in one part).
func (x *XeroStatement) Write(lines []StatementLine) error {
	rows := make([][]string, 0, len(lines))
	for _, sl := range lines {
		b := sl.Bank
		desc := b.Description
		if baseRole(b) == transform.RoleFeeBank {
			desc = strings.TrimSpace(desc + " (fee)")
		}
		if sl.Detail != "" {
			desc = strings.TrimSpace(desc + " (" + sl.Detail + ")")
		}
		ref := b.Reference
		if ref == "" {
			ref = b.EntryID // ties the lines of one movement together, and to the ledger
		}
		tax := ""
		if sl.AccountCode != "" {
			tax, _ = x.opts.TaxRates.taxName(sl.Tax, sl.Amount.IsPositive(), x.opts.NoTaxRate)
		}
		rows = append(rows, []string{
			b.BookingDate.Format(x.opts.DateLayout), Amount(sl.Amount, b.Currency),
			Payee(b), desc, ref, sl.AccountCode, tax, Payee(b),
		})
	}
	return x.parts.Group(rows)
}

// Close flushes the last part.
func (x *XeroStatement) Close() error { return x.parts.Close() }

// Rows returns the data rows of each part.
func (x *XeroStatement) Rows() []int { return x.parts.Rows() }

// Payee is whom the money went to or came from: the merchant of a card payment, else the
// counterparty.
func Payee(l *transform.Line) string {
	if l.Merchant != "" {
		return l.Merchant
	}
	return l.Counterparty
}

// Slug turns an account's name into a file-name part: lower-case letters and digits, other
// runs of characters as one '-' ("Revolut Main GBP" → "revolut-main-gbp").
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	return b.String()
}

// StatementBase is the name, without part suffix and ".csv", of an account's statement for a
// period: xero_statement_{slug}_{YYYY-MM}.
func StatementBase(slug, period string) string {
	return "xero_statement_" + slug + "_" + period
}
