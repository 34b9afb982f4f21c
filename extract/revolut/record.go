package revolut

import "encoding/json"

// Record is what every record the API lists has in common: its id and the exact JSON it was
// decoded from. The warehouse stores records of every stream through it.
type Record interface {
	RecordID() string
	// RawJSON points at the record's Raw field, for reading and for setting it.
	RawJSON() *json.RawMessage
}

// RecordID returns the account's id.
func (a *Account) RecordID() string { return a.ID }

// RawJSON points at the account's source JSON.
func (a *Account) RawJSON() *json.RawMessage { return &a.Raw }

// RecordID returns the transaction's id.
func (t *Transaction) RecordID() string { return t.ID }

// RawJSON points at the transaction's source JSON.
func (t *Transaction) RawJSON() *json.RawMessage { return &t.Raw }

// RecordID returns the expense's id.
func (e *Expense) RecordID() string { return e.ID }

// RawJSON points at the expense's source JSON.
func (e *Expense) RawJSON() *json.RawMessage { return &e.Raw }

// RecordID returns the category's id.
func (c *AccountingCategory) RecordID() string { return c.ID }

// RawJSON points at the category's source JSON.
func (c *AccountingCategory) RawJSON() *json.RawMessage { return &c.Raw }

// RecordID returns the tax rate's id.
func (t *TaxRate) RecordID() string { return t.ID }

// RawJSON points at the tax rate's source JSON.
func (t *TaxRate) RawJSON() *json.RawMessage { return &t.Raw }

// RecordID returns the label group's id.
func (g *LabelGroup) RecordID() string { return g.ID }

// RawJSON points at the label group's source JSON.
func (g *LabelGroup) RawJSON() *json.RawMessage { return &g.Raw }

// RecordID returns the label's id.
func (l *Label) RecordID() string { return l.ID }

// RawJSON points at the label's source JSON.
func (l *Label) RawJSON() *json.RawMessage { return &l.Raw }

// RecordID returns the card's id.
func (c *Card) RecordID() string { return c.ID }

// RawJSON points at the card's source JSON.
func (c *Card) RawJSON() *json.RawMessage { return &c.Raw }

// RecordID returns the team member's id.
func (m *TeamMember) RecordID() string { return m.ID }

// RawJSON points at the team member's source JSON.
func (m *TeamMember) RawJSON() *json.RawMessage { return &m.Raw }

// RecordID returns the counterparty's id.
func (c *Counterparty) RecordID() string { return c.ID }

// RawJSON points at the counterparty's source JSON.
func (c *Counterparty) RawJSON() *json.RawMessage { return &c.Raw }

// The models above are Records.
var (
	_ Record = (*Account)(nil)
	_ Record = (*Transaction)(nil)
	_ Record = (*Expense)(nil)
	_ Record = (*AccountingCategory)(nil)
	_ Record = (*TaxRate)(nil)
	_ Record = (*LabelGroup)(nil)
	_ Record = (*Label)(nil)
	_ Record = (*Card)(nil)
	_ Record = (*TeamMember)(nil)
	_ Record = (*Counterparty)(nil)
)
