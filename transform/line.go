package transform

import (
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// Source types of ledger lines: what kind of Revolut record a line was booked from.
const (
	SourceTransaction = "transaction"
	SourceExpense     = "expense"
	// SourceRevaluation is the month-end revaluation of a foreign-currency bank account
	// (revalue.go): booked from the ledger's balances, its source id is the Revolut account id.
	SourceRevaluation = "revaluation"
)

// LineKey identifies a ledger line deterministically across runs: the same source record
// always produces the same keys, so re-running any window upserts instead of duplicating, and a
// changed source record produces a new version of the same key.
type LineKey struct {
	SourceType string // SourceTransaction, SourceExpense or SourceRevaluation
	SourceID   string // Revolut id of the transaction, expense or (revaluation) account
	Index      int    // leg index for bank/fee lines, split index for expense lines
	Role       string // what the line is for (bank, net, vat, fee, balancing, ...)
}

// String renders the key as "source_type/source_id/index/role", the form stored in the
// warehouse and shown in exports. It is the one encoding of a key: the loader hashes and
// stores it and the workbook shows it for every line, so it concatenates rather than
// formatting with fmt.
func (k LineKey) String() string {
	return k.SourceType + "/" + k.SourceID + "/" + strconv.Itoa(k.Index) + "/" + k.Role
}

// Line is the canonical ledger line: one side of a balanced journal entry, with every piece of
// provenance an accountant or an engineer needs to trace it back to Revolut. Amounts are exact
// decimals already rounded to the currency's minor units; Amount is signed, debit positive.
//
// The lines of one entry (same EntryID) sum to zero per currency.
type Line struct {
	Key     LineKey
	Version int // 1 for a new line; the warehouse increments it when the source changes

	EntryID     string    // journal entry the line belongs to
	BookingDate time.Time // calendar date in the business's time zone, as midnight UTC
	OccurredAt  time.Time // the source event's instant, UTC
	Period      string    // YYYY-MM of BookingDate

	AccountCode string // general-ledger account code (text: leading zeros matter)
	AccountName string

	Amount   decimal.Decimal // signed, debit positive, in Currency
	Currency string          // ISO 4217

	// BaseAmount is Amount in the business's base currency (Settings.BaseCurrency), rounded
	// half away from zero to the base currency's minor units: Amount × BaseRate, or Amount itself
	// on a base-currency line. Null when no rate was found (an exception says which); the lines of
	// an entry whose every line has one sum to zero in base currency too.
	BaseAmount decimal.NullDecimal
	// BaseRate is the rate used: 1 unit of Currency = BaseRate units of the base currency.
	BaseRate decimal.NullDecimal
	// RateSource says where BaseRate came from (Rate* constants in fx.go): the base currency
	// itself, the transaction's own legs or bill amount, or a publisher's reference rate.
	RateSource string

	// OriginalAmount/OriginalCurrency keep the source amount when it was in another currency
	// than Currency (a split in EUR booked on a GBP account, a leg's bill amount).
	OriginalAmount   decimal.NullDecimal
	OriginalCurrency string

	// Expense-line figures: Gross = Net + Tax exactly, in Currency, with the split's tax rate.
	Net            decimal.NullDecimal
	Tax            decimal.NullDecimal
	Gross          decimal.NullDecimal
	TaxRateID      string
	TaxRateName    string
	TaxRatePercent decimal.NullDecimal
	// VATTreatment is the split's VAT treatment (VATStandard...; vat.go), "" on lines that
	// are not part of a split.
	VATTreatment string

	CategoryID   string
	CategoryCode string
	CategoryName string
	Labels       map[string]string // label group name → label name

	Counterparty string
	Merchant     string
	Description  string
	Reference    string

	TransactionID    string
	TransactionType  string
	TransactionState string
	// RelatedTransactionID is Revolut's link from a refund (or reversal) to the transaction
	// it refers to.
	RelatedTransactionID string
	ExpenseID            string
	ExpenseState         string
	ReceiptIDs           []string

	RevolutAccountID string              // the Revolut account of a bank line
	BankBalance      decimal.NullDecimal // Revolut's reported balance after the leg (bank lines)

	CardID         string
	CardLastDigits string
	CardLabel      string // the card's label when the line was booked
	CardHolder     string
	CardReferences []CardReference // as recorded on the transaction, not the card's current ones

	// On a line of an adjustment entry: the entry version, in a closed period, that the
	// adjustment reverses or replaces, that version's period, and why (one of the
	// Adjustment* reasons). Empty on ordinary lines. A closed period's entries are final, so a
	// later change to their source is booked as an adjustment in the first open period.
	AdjustsEntryID   string
	AdjustsVersion   int
	AdjustsPeriod    string
	AdjustmentReason string
}

// Why an adjustment entry was booked (Line.AdjustmentReason).
const (
	AdjustmentReverted        = "reverted"         // the transaction was reverted, declined or failed after it was booked
	AdjustmentRecategorised   = "recategorised"    // an expense's category, tax rate or labels changed
	AdjustmentExpenseRejected = "expense_rejected" // the expense was rejected, reverted or reopened
	AdjustmentAmountChanged   = "amount_changed"   // the booked amount changed (a pending payment completed with another amount)
	AdjustmentSettingsChanged = "settings_changed" // a tax rate or category changed in the settings
	AdjustmentOtherChange     = "changed"          // any other change to the booked lines
)

// CardReference is a name/value reference recorded on a card transaction (e.g. PNR).
type CardReference struct {
	Name  string
	Value string
}

// Exception is something a person must look at: a record that was booked on a suspense or
// default account, a figure that does not add up, a record that was reported but not booked.
// Exceptions are data, listed in the workbook; they are not errors.
type Exception struct {
	SourceType string // SourceTransaction or SourceExpense
	SourceID   string
	EntryID    string    // the entry it concerns, if one was booked
	Period     string    // YYYY-MM it belongs to
	OccurredAt time.Time // UTC
	Kind       string    // stable machine code, e.g. "missing_category"
	Reason     string    // one sentence a bookkeeper understands
}
