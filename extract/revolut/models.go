package revolut

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// The models below mirror the schemas of the official OpenAPI description
// (extract/revolut/testdata/business-openapi.json). Amounts are exact decimals decoded from the JSON
// number text; enums are plain strings so that a value Revolut adds later never breaks a sync.
// Each list record keeps the exact JSON it was decoded from in Raw, for the warehouse and for
// quarantine.

// Transaction states (TransactionState). Other values may appear; treat them as unknown.
const (
	TransactionCreated   = "created"
	TransactionPending   = "pending"
	TransactionCompleted = "completed"
	TransactionDeclined  = "declined"
	TransactionFailed    = "failed"
	TransactionReverted  = "reverted"
)

// Transaction types (TransactionType) that the ledger treats specially.
const (
	TypeATM            = "atm"
	TypeCardPayment    = "card_payment"
	TypeCardRefund     = "card_refund"
	TypeCardChargeback = "card_chargeback"
	TypeCardCredit     = "card_credit"
	TypeCharge         = "charge"
	TypeChargeRefund   = "charge_refund"
	TypeExchange       = "exchange"
	TypeTransfer       = "transfer"
	TypeLoan           = "loan"
	TypeFee            = "fee"
	TypeRefund         = "refund"
	TypeTopup          = "topup"
	TypeTopupReturn    = "topup_return"
	TypeTax            = "tax"
	TypeTaxRefund      = "tax_refund"
	TypeRevPayment     = "rev_payment"
)

// Expense states (ExpenseState).
const (
	ExpenseMissingInfo          = "missing_info"
	ExpenseAwaitingReview       = "awaiting_review"
	ExpenseRejected             = "rejected"
	ExpensePendingReimbursement = "pending_reimbursement"
	ExpenseRefundRequested      = "refund_requested"
	ExpenseRefunded             = "refunded"
	ExpenseApproved             = "approved"
	ExpenseReverted             = "reverted"
)

// Expense transaction types (ExpenseTransactionType). External reimbursements and mileage have
// no Revolut transaction.
const (
	ExpenseTypeExternal = "external"
	ExpenseTypeMileage  = "mileage_reimbursement"
)

// Account is a Revolut Business account (schema Account, GET /accounts).
type Account struct {
	ID        string          `json:"id"`
	Name      string          `json:"name,omitempty"`
	Balance   decimal.Decimal `json:"balance"`
	Currency  string          `json:"currency"`
	State     string          `json:"state"`
	Public    bool            `json:"public"`
	CreatedAt Time            `json:"created_at"`
	UpdatedAt Time            `json:"updated_at"`

	Raw json.RawMessage `json:"-"`
}

// Transaction is a money movement (schema Transaction, GET /transactions).
type Transaction struct {
	ID                   string           `json:"id"`
	Type                 string           `json:"type"`
	RequestID            string           `json:"request_id,omitempty"`
	State                string           `json:"state"`
	ReasonCode           string           `json:"reason_code,omitempty"`
	CreatedAt            Time             `json:"created_at"`
	UpdatedAt            Time             `json:"updated_at"`
	CompletedAt          Time             `json:"completed_at,omitzero"`
	ScheduledFor         Time             `json:"scheduled_for,omitzero"`
	RelatedTransactionID string           `json:"related_transaction_id,omitempty"`
	Merchant             *Merchant        `json:"merchant,omitempty"`
	Reference            string           `json:"reference,omitempty"`
	Legs                 []Leg            `json:"legs"`
	Card                 *TransactionCard `json:"card,omitempty"`

	Raw json.RawMessage `json:"-"`
}

// Leg is one side of a transaction on one of the business's accounts (schema TransactionLeg).
// Amount is signed in the account's currency; Fee is a separate positive amount.
type Leg struct {
	LegID        string              `json:"leg_id"`
	Amount       decimal.Decimal     `json:"amount"`
	Fee          decimal.NullDecimal `json:"fee,omitzero"`
	Currency     string              `json:"currency"`
	BillAmount   decimal.NullDecimal `json:"bill_amount,omitzero"`
	BillCurrency string              `json:"bill_currency,omitempty"`
	AccountID    string              `json:"account_id"`
	Counterparty *LegCounterparty    `json:"counterparty,omitempty"`
	Description  string              `json:"description,omitempty"`
	Balance      decimal.NullDecimal `json:"balance,omitzero"`
}

// LegCounterparty is the other party of a leg (schema TransactionCounterparty).
type LegCounterparty struct {
	ID          string `json:"id,omitempty"`
	AccountID   string `json:"account_id,omitempty"`
	AccountType string `json:"account_type"` // self, revolut, external
}

// Merchant is the card merchant of a transaction (schema TransactionMerchant).
type Merchant struct {
	ID           string `json:"id,omitempty"`
	Name         string `json:"name,omitempty"`
	FullName     string `json:"full_name,omitempty"`
	City         string `json:"city,omitempty"`
	CategoryCode string `json:"category_code,omitempty"`
	Country      string `json:"country,omitempty"`
}

// TransactionCard is the card a transaction was made with (schema TransactionCard). References
// are the ones the card had when the transaction was made.
type TransactionCard struct {
	ID         string          `json:"id,omitempty"`
	CardNumber string          `json:"card_number,omitempty"` // masked, last four digits visible
	FirstName  string          `json:"first_name,omitempty"`
	LastName   string          `json:"last_name,omitempty"`
	Phone      string          `json:"phone,omitempty"`
	References []CardReference `json:"references,omitempty"`
}

// CardReference is a name/value pair assigned to a company card (schema CardReference).
type CardReference struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Expense is a spend record with its accounting details (schema Expense, GET /expenses).
type Expense struct {
	ID              string              `json:"id"`
	State           string              `json:"state"`
	TransactionType string              `json:"transaction_type"`
	Description     string              `json:"description,omitempty"`
	SubmittedAt     Time                `json:"submitted_at,omitzero"`
	CompletedAt     Time                `json:"completed_at,omitzero"`
	Payer           string              `json:"payer,omitempty"`
	Merchant        string              `json:"merchant,omitempty"`
	TransactionID   string              `json:"transaction_id,omitempty"`
	ExpenseDate     Time                `json:"expense_date"`
	Labels          map[string][]string `json:"labels"`
	Splits          []Split             `json:"splits"`
	ReceiptIDs      []string            `json:"receipt_ids"`
	SpentAmount     Money               `json:"spent_amount"`

	Raw json.RawMessage `json:"-"`
}

// Split is one accounting line of an expense (schema ExpenseSplit). Amount is the split's
// original amount and currency, which may differ from the account's currency.
type Split struct {
	Amount   Money         `json:"amount"`
	Category SplitCategory `json:"category"`
	TaxRate  SplitTaxRate  `json:"tax_rate"`
}

// SplitCategory is the accounting category of a split (schema Category).
type SplitCategory struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Code string `json:"code,omitempty"`
}

// SplitTaxRate is the tax rate of a split (schema TaxRate). Percentage may be absent; the
// tax-rate settings then supply it by ID.
type SplitTaxRate struct {
	ID         string              `json:"id"`
	Name       string              `json:"name"`
	Percentage decimal.NullDecimal `json:"percentage,omitzero"`
}

// Money is an amount with its currency (schemas AmountWithCurrency, Money).
type Money struct {
	Amount   decimal.Decimal `json:"amount"`
	Currency string          `json:"currency"`
}

// AccountingCategory is an accounting category setting (schema AccountingCategoryResponse).
type AccountingCategory struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	Code             string `json:"code,omitempty"`
	DefaultTaxRateID string `json:"default_tax_rate_id,omitempty"`
	CreatedAt        Time   `json:"created_at"`
	UpdatedAt        Time   `json:"updated_at"`

	Raw json.RawMessage `json:"-"`
}

// TaxRate is a tax-rate setting (schema TaxRateResponse).
type TaxRate struct {
	ID         string              `json:"id"`
	Name       string              `json:"name"`
	Percentage decimal.NullDecimal `json:"percentage,omitzero"`
	CreatedAt  Time                `json:"created_at"`
	UpdatedAt  Time                `json:"updated_at"`

	Raw json.RawMessage `json:"-"`
}

// LabelGroup is a group of labels, e.g. "Department" (schema LabelGroupResponse).
type LabelGroup struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	CreatedAt Time   `json:"created_at"`
	UpdatedAt Time   `json:"updated_at"`

	Raw json.RawMessage `json:"-"`
}

// Label is one label of a group (schema LabelResponse). GroupID is filled in by the client from
// the request path; the API does not return it.
type Label struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	GroupID   string `json:"-"`
	CreatedAt Time   `json:"created_at"`
	UpdatedAt Time   `json:"updated_at"`

	Raw json.RawMessage `json:"-"`
}

// Card is a company or team-member card (schema CardResponse, GET /cards). Spending limits are
// exact decimals; dates of the spending period are plain YYYY-MM-DD strings in the business's
// time zone, kept as text because they are not instants.
type Card struct {
	ID               string            `json:"id"`
	HolderID         string            `json:"holder_id,omitempty"` // empty for a card owned by the business
	ContactIDs       []string          `json:"contact_ids,omitempty"`
	CreatedAt        Time              `json:"created_at"`
	UpdatedAt        Time              `json:"updated_at"`
	Product          *CardProduct      `json:"product,omitempty"`
	Virtual          bool              `json:"virtual"`
	LastDigits       string            `json:"last_digits"`
	Expiry           string            `json:"expiry"` // MM/YYYY as sent by the API
	Label            string            `json:"label,omitempty"`
	References       []CardReference   `json:"references,omitempty"`
	State            string            `json:"state"` // created, pending, active, frozen, locked
	CanBeUnlocked    *bool             `json:"can_be_unlocked,omitempty"`
	SpendProgram     *SpendProgram     `json:"spend_program,omitempty"`
	SpendingLimits   *SpendingLimits   `json:"spending_limits,omitempty"`
	SpendingPeriod   *SpendingPeriod   `json:"spending_period,omitempty"`
	Categories       []string          `json:"categories,omitempty"`
	MerchantControls *MerchantControls `json:"merchant_controls,omitempty"`
	MCCControls      *MCCControls      `json:"mcc_controls,omitempty"`
	Countries        []string          `json:"countries,omitempty"`
	Accounts         []string          `json:"accounts"`

	Raw json.RawMessage `json:"-"`
}

// CardProduct is the card program a card was issued under (schema CardProduct).
type CardProduct struct {
	Code string `json:"code"`
}

// SpendProgram is the spend program assigned to a card (schema SpendProgram).
type SpendProgram struct {
	Label string `json:"label"`
}

// SpendingLimits are the limits of a card per transaction and per period (schema
// SpendingLimitsSchema). A nil limit is not set.
type SpendingLimits struct {
	Single  *Money `json:"single,omitempty"`
	Day     *Money `json:"day,omitempty"`
	Week    *Money `json:"week,omitempty"`
	Month   *Money `json:"month,omitempty"`
	Quarter *Money `json:"quarter,omitempty"`
	Year    *Money `json:"year,omitempty"`
	AllTime *Money `json:"all_time,omitempty"`
}

// SpendingPeriod says when a card can spend (schema SpendingPeriodSchema). Dates are
// YYYY-MM-DD in the business's time zone.
type SpendingPeriod struct {
	StartDate     string `json:"start_date,omitempty"`
	EndDate       string `json:"end_date,omitempty"`
	EndDateAction string `json:"end_date_action,omitempty"` // lock, terminate
}

// MerchantControls allow or block a card at specific merchants (schema MerchantControlsSchema).
type MerchantControls struct {
	ControlType string   `json:"control_type"` // block, allow
	MerchantIDs []string `json:"merchant_ids"`
}

// MCCControls restrict a card to merchant category codes (schema MccControlsSchema).
type MCCControls struct {
	ControlType string   `json:"control_type"`
	MCCs        []string `json:"mccs"`
}

// TeamMember is a person in the business (schema TeamMember, GET /team-members).
type TeamMember struct {
	ID           string `json:"id"`
	Email        string `json:"email"`
	FirstName    string `json:"first_name,omitempty"`
	LastName     string `json:"last_name,omitempty"`
	State        string `json:"state"` // created, confirmed, waiting, active, locked, disabled
	RoleID       string `json:"role_id"`
	CreatedAt    Time   `json:"created_at"`
	UpdatedAt    Time   `json:"updated_at"`
	DepartmentID string `json:"department_id,omitempty"`
	ManagerID    string `json:"manager_id,omitempty"`

	Raw json.RawMessage `json:"-"`
}

// Counterparty is a saved payee (schema Counterparty, GET /counterparties).
type Counterparty struct {
	ID          string                `json:"id"`
	Name        string                `json:"name"`
	Revtag      string                `json:"revtag,omitempty"`
	ProfileType string                `json:"profile_type,omitempty"` // personal, business
	Country     string                `json:"country,omitempty"`
	State       string                `json:"state"` // created, draft, deleted
	CreatedAt   Time                  `json:"created_at"`
	UpdatedAt   Time                  `json:"updated_at"`
	Accounts    []CounterpartyAccount `json:"accounts,omitempty"`
	Cards       []CounterpartyCard    `json:"cards,omitempty"`

	Raw json.RawMessage `json:"-"`
}

// CounterpartyAccount is a bank account of a counterparty (schema CounterpartyAccount).
type CounterpartyAccount struct {
	ID                     string               `json:"id"`
	Name                   string               `json:"name,omitempty"`
	BankCountry            string               `json:"bank_country,omitempty"`
	Currency               string               `json:"currency"`
	Type                   string               `json:"type"` // revolut, external
	AccountNo              string               `json:"account_no,omitempty"`
	IBAN                   string               `json:"iban,omitempty"`
	SortCode               string               `json:"sort_code,omitempty"`
	RoutingNumber          string               `json:"routing_number,omitempty"`
	BIC                    string               `json:"bic,omitempty"`
	CLABE                  string               `json:"clabe,omitempty"`
	IFSC                   string               `json:"ifsc,omitempty"`
	BSBCode                string               `json:"bsb_code,omitempty"`
	Route                  string               `json:"route,omitempty"`
	BankNumber             string               `json:"bank_number,omitempty"`
	BranchCode             string               `json:"branch_code,omitempty"`
	AccountType            string               `json:"account_type,omitempty"`
	TaxID                  string               `json:"tax_id,omitempty"`
	NationalID             string               `json:"national_id,omitempty"`
	Phone                  string               `json:"phone,omitempty"`
	BusinessRegistrationID string               `json:"business_registration_id,omitempty"`
	RecipientCharges       string               `json:"recipient_charges,omitempty"` // deprecated by Revolut
	Address                *CounterpartyAddress `json:"address,omitempty"`
}

// CounterpartyAddress is the address of a counterparty's account (schema CounterpartyAddress).
type CounterpartyAddress struct {
	StreetLine1 string `json:"street_line1,omitempty"`
	StreetLine2 string `json:"street_line2,omitempty"`
	Region      string `json:"region,omitempty"`
	City        string `json:"city,omitempty"`
	Country     string `json:"country"`
	Postcode    string `json:"postcode,omitempty"`
}

// CounterpartyCard is a card of a counterparty (schema CounterpartyCard).
type CounterpartyCard struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	LastDigits string `json:"last_digits"`
	Scheme     string `json:"scheme"` // visa, mastercard
	Country    string `json:"country"`
	Currency   string `json:"currency"`
}

// UnmarshalJSON accepts last_digits as a string or, as in some of Revolut's own examples, as
// a JSON number, which loses leading zeros: those are restored to four digits.
func (c *CounterpartyCard) UnmarshalJSON(b []byte) error {
	type plain CounterpartyCard
	var v struct {
		plain
		LastDigits json.RawMessage `json:"last_digits"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*c = CounterpartyCard(v.plain)
	digits := strings.TrimSpace(string(v.LastDigits))
	switch {
	case digits == "" || digits == "null":
	case digits[0] == '"':
		if err := json.Unmarshal(v.LastDigits, &c.LastDigits); err != nil {
			return fmt.Errorf("last_digits: %w", err)
		}
	default:
		var n json.Number
		if err := json.Unmarshal(v.LastDigits, &n); err != nil {
			return fmt.Errorf("last_digits: %w", err)
		}
		if strings.ContainsAny(n.String(), ".eE-+") {
			return fmt.Errorf("last_digits: %s is not a card number suffix", n)
		}
		c.LastDigits = fmt.Sprintf("%04s", n.String())
	}
	return nil
}
