package csv

import (
	"fmt"
	"io"
	"strings"

	"github.com/revledger/revledger/transform"
)

// BankStatementHeader is the header of Xero's bank statement import (the precoded CSV
// template: Date, Amount, Payee, Description, Reference).
var BankStatementHeader = []string{"Date", "Amount", "Payee", "Description", "Reference"}

// BankStatement writes bank_{account}_{YYYY-MM}.csv for one Revolut account: one row per bank
// line, money in positive, dated dd/mm/yyyy, in the order the account's running balance was
// computed.
type BankStatement struct{ writer }

// NewBankStatement writes the header to w and returns the BankStatement.
func NewBankStatement(w io.Writer) (*BankStatement, error) {
	cw, err := newWriter(w, false, BankStatementHeader)
	if err != nil {
		return nil, fmt.Errorf("bank statement: %w", err)
	}
	return &BankStatement{cw}, nil
}

// Write appends a bank line. A bank line's amount is debit positive on the bank account,
// which is the statement's sign: positive money in, negative money out.
func (b *BankStatement) Write(l *transform.Line) error {
	desc := l.Description
	if l.Key.Role != "" && l.Key.Role != "bank" {
		// A fee on the same leg: say so, the payee is the same.
		desc = strings.TrimSpace(desc + " (" + l.Key.Role + ")")
	}
	return b.record([]string{
		l.BookingDate.Format("02/01/2006"), Amount(l.Amount, l.Currency),
		t(Payee(l)), t(desc), t(l.Reference),
	})
}

// Payee is whom the money went to or came from: the merchant of a card payment, else the
// counterparty.
func Payee(l *transform.Line) string {
	if l.Merchant != "" {
		return l.Merchant
	}
	return l.Counterparty
}

// AccountFileName returns the name of an account's statement for a period:
// bank_{account}_{YYYY-MM}.csv, where account is the Revolut account id with every character
// that is not a letter, digit, '-' or '_' replaced by '_' (ids are UUIDs, so normally none).
func AccountFileName(revolutAccountID, period string) string {
	id := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, revolutAccountID)
	return "bank_" + id + "_" + period + ".csv"
}
