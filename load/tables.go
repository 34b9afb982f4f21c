package load

import (
	"encoding/json"
	"fmt"

	"github.com/revledger/revledger/extract/revolut"
)

// The raw tables. Column lists match migrations/0001_init.sql; the values come from the
// decoded models (rawRow), so the typed columns use the client's own parsing of times and
// amounts, and raw keeps the JSON as received.

var accountsTable = &rawTable{
	name:  "accounts",
	cols:  []string{"name", "currency", "state", "balance", "public", "created_at", "updated_at"},
	types: []string{"text", "text", "text", "numeric", "boolean", "timestamptz", "timestamptz"},
}

var transactionsTable = &rawTable{
	name: "transactions",
	cols: []string{"type", "state", "request_id", "reason_code", "created_at", "updated_at", "completed_at",
		"related_transaction_id", "merchant_name", "card_id", "reference"},
	types: []string{"text", "text", "text", "text", "timestamptz", "timestamptz", "timestamptz",
		"text", "text", "text", "text"},
	bookable: true,
	child: &childTable{
		name:      "transaction_legs",
		parentCol: "transaction_id",
		cols: []string{"transaction_id", "leg_index", "leg_id", "account_id", "amount", "fee", "currency",
			"bill_amount", "bill_currency", "balance", "counterparty_account_type", "description"},
		types: []string{"text", "integer", "text", "text", "numeric", "numeric", "text",
			"numeric", "text", "numeric", "text", "text"},
	},
}

var expensesTable = &rawTable{
	name: "expenses",
	cols: []string{"state", "transaction_type", "transaction_id", "expense_date", "submitted_at", "completed_at",
		"spent_amount", "spent_currency", "payer", "merchant", "description", "receipt_ids"},
	types: []string{"text", "text", "text", "timestamptz", "timestamptz", "timestamptz",
		"numeric", "text", "text", "text", "text", "text[]"},
	bookable: true,
	child: &childTable{
		name:      "expense_splits",
		parentCol: "expense_id",
		cols: []string{"expense_id", "split_index", "amount", "currency", "category_id", "category_code",
			"category_name", "tax_rate_id", "tax_rate_name", "tax_rate_percent"},
		types: []string{"text", "integer", "numeric", "text", "text", "text", "text", "text", "text", "numeric"},
	},
}

// A changed category or tax rate changes how the expenses that use it are booked (codes,
// names, percentages), so those expenses are booked again. New ones cannot have been used by
// an already booked expense's lines in a different way than the split itself says.
var categoriesTable = &rawTable{
	name:  "accounting_categories",
	cols:  []string{"name", "code", "default_tax_rate_id", "created_at", "updated_at"},
	types: []string{"text", "text", "text", "timestamptz", "timestamptz"},
	after: []string{`UPDATE expenses e SET needs_booking = true
		FROM expense_splits sp JOIN changed_accounting_categories c ON c.id = sp.category_id AND NOT c.inserted
		WHERE sp.expense_id = e.id AND NOT e.needs_booking`,
		closeHistory("accounting_category_history", "accounting_categories"),
		`INSERT INTO accounting_category_history (id, valid_from, name, code, default_tax_rate_id, raw, run_id)
		SELECT t.id, (SELECT max(h.valid_to) FROM accounting_category_history h WHERE h.id = t.id),
			t.name, t.code, t.default_tax_rate_id, t.raw, t.run_id
		FROM changed_accounting_categories c JOIN accounting_categories t ON t.id = c.id`},
}

var taxRatesTable = &rawTable{
	name:  "tax_rates",
	cols:  []string{"name", "percentage", "created_at", "updated_at"},
	types: []string{"text", "numeric", "timestamptz", "timestamptz"},
	after: []string{`UPDATE expenses e SET needs_booking = true
		FROM expense_splits sp JOIN changed_tax_rates c ON c.id = sp.tax_rate_id AND NOT c.inserted
		WHERE sp.expense_id = e.id AND NOT e.needs_booking`,
		closeHistory("tax_rate_history", "tax_rates"),
		`INSERT INTO tax_rate_history (id, valid_from, name, percentage, raw, run_id)
		SELECT t.id, (SELECT max(h.valid_to) FROM tax_rate_history h WHERE h.id = t.id), t.name, t.percentage, t.raw, t.run_id
		FROM changed_tax_rates c JOIN tax_rates t ON t.id = c.id`},
}

// closeHistory closes the version in force of every changed setting of table (migration
// 0007): it ends when the change happened, the record's updated_at (Revolut's time of the
// change), else now; never before the version began. The insert that follows opens the new
// version where this one ends (a setting seen for the first time has no history to close, so
// its first version is unbounded in the past).
func closeHistory(history, table string) string {
	return fmt.Sprintf(`UPDATE %[1]s h
		SET valid_to = GREATEST(COALESCE(h.valid_from, '-infinity'), COALESCE(t.updated_at, now()))
		FROM changed_%[2]s c JOIN %[2]s t ON t.id = c.id
		WHERE h.id = c.id AND h.valid_to IS NULL`, history, table)
}

var labelGroupsTable = &rawTable{
	name:  "label_groups",
	cols:  []string{"name", "created_at", "updated_at"},
	types: []string{"text", "timestamptz", "timestamptz"},
}

var labelsTable = &rawTable{
	name:  "labels",
	cols:  []string{"group_id", "name", "created_at", "updated_at"},
	types: []string{"text", "text", "timestamptz", "timestamptz"},
}

var cardsTable = &rawTable{
	name:  "cards",
	cols:  []string{"holder_id", "state", "last_digits", "label", "virtual", "created_at", "updated_at"},
	types: []string{"text", "text", "text", "text", "boolean", "timestamptz", "timestamptz"},
}

var teamMembersTable = &rawTable{
	name:  "team_members",
	cols:  []string{"email", "first_name", "last_name", "state", "role_id", "created_at", "updated_at"},
	types: []string{"text", "text", "text", "text", "text", "timestamptz", "timestamptz"},
}

var counterpartiesTable = &rawTable{
	name:  "counterparties",
	cols:  []string{"name", "state", "profile_type", "country", "created_at", "updated_at"},
	types: []string{"text", "text", "text", "text", "timestamptz", "timestamptz"},
}

func recordID[T rawRecord](p *T) string { return asRecord(p).RecordID() }

// asRecord views a raw record through its common methods; every member of rawRecord is a
// revolut.Record through its pointer.
func asRecord[T rawRecord](p *T) revolut.Record { return any(p).(revolut.Record) }

// recordRaw returns the JSON the record was decoded from; a record built in code (no Raw) is
// stored as its own encoding.
func recordRaw[T rawRecord](p *T) []byte {
	raw := *asRecord(p).RawJSON()
	if len(raw) > 0 {
		return raw
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil // not valid JSON: quarantined by the caller
	}
	return b
}

// rawRow fills row with id and the typed columns; the caller sets the last element (raw).
func rawRow[T rawRecord](p *T, row []any) {
	switch r := any(p).(type) {
	case *revolut.Account:
		fillRow(row, r.ID, nullString(r.Name), r.Currency, r.State, r.Balance, r.Public, ts(r.CreatedAt), ts(r.UpdatedAt))
	case *revolut.Transaction:
		var merchant, card any
		if r.Merchant != nil {
			merchant = nullString(r.Merchant.Name)
		}
		if r.Card != nil {
			card = nullString(r.Card.ID)
		}
		fillRow(row, r.ID, r.Type, r.State, nullString(r.RequestID), nullString(r.ReasonCode), ts(r.CreatedAt),
			ts(r.UpdatedAt), ts(r.CompletedAt), nullString(r.RelatedTransactionID), merchant, card, nullString(r.Reference))
	case *revolut.Expense:
		receipts := r.ReceiptIDs
		if receipts == nil {
			receipts = []string{}
		}
		var spent, spentCur any
		if r.SpentAmount.Currency != "" {
			spent, spentCur = r.SpentAmount.Amount, r.SpentAmount.Currency
		}
		fillRow(row, r.ID, r.State, r.TransactionType, nullString(r.TransactionID), ts(r.ExpenseDate), ts(r.SubmittedAt),
			ts(r.CompletedAt), spent, spentCur, nullString(r.Payer), nullString(r.Merchant), nullString(r.Description), receipts)
	case *revolut.AccountingCategory:
		fillRow(row, r.ID, r.Name, nullString(r.Code), nullString(r.DefaultTaxRateID), ts(r.CreatedAt), ts(r.UpdatedAt))
	case *revolut.TaxRate:
		fillRow(row, r.ID, r.Name, r.Percentage, ts(r.CreatedAt), ts(r.UpdatedAt))
	case *revolut.LabelGroup:
		fillRow(row, r.ID, r.Name, ts(r.CreatedAt), ts(r.UpdatedAt))
	case *revolut.Label:
		fillRow(row, r.ID, nullString(r.GroupID), r.Name, ts(r.CreatedAt), ts(r.UpdatedAt))
	case *revolut.Card:
		fillRow(row, r.ID, nullString(r.HolderID), r.State, nullString(r.LastDigits), nullString(r.Label), r.Virtual,
			ts(r.CreatedAt), ts(r.UpdatedAt))
	case *revolut.TeamMember:
		fillRow(row, r.ID, nullString(r.Email), nullString(r.FirstName), nullString(r.LastName), r.State,
			nullString(r.RoleID), ts(r.CreatedAt), ts(r.UpdatedAt))
	case *revolut.Counterparty:
		fillRow(row, r.ID, r.Name, r.State, nullString(r.ProfileType), nullString(r.Country), ts(r.CreatedAt), ts(r.UpdatedAt))
	}
}

func fillRow(row []any, vals ...any) { copy(row, vals) }

// childRows returns the child-table rows of a record (legs, splits); nil for the others.
func childRows[T rawRecord](p *T) [][]any {
	switch r := any(p).(type) {
	case *revolut.Transaction:
		out := make([][]any, 0, len(r.Legs))
		for i, l := range r.Legs {
			var cpType any
			if l.Counterparty != nil {
				cpType = nullString(l.Counterparty.AccountType)
			}
			out = append(out, []any{r.ID, i, nullString(l.LegID), nullString(l.AccountID), l.Amount, l.Fee, l.Currency,
				l.BillAmount, nullString(l.BillCurrency), l.Balance, cpType, nullString(l.Description)})
		}
		return out
	case *revolut.Expense:
		out := make([][]any, 0, len(r.Splits))
		for i, sp := range r.Splits {
			out = append(out, []any{r.ID, i, sp.Amount.Amount, sp.Amount.Currency, nullString(sp.Category.ID),
				nullString(sp.Category.Code), nullString(sp.Category.Name), nullString(sp.TaxRate.ID),
				nullString(sp.TaxRate.Name), sp.TaxRate.Percentage})
		}
		return out
	}
	return nil
}

func ts(t revolut.Time) any { return nullTime(t.Time) }
