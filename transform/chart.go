package transform

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/revledger/revledger/extract/revolut"
)

// Chart maps Revolut records onto general-ledger account codes. It is read from the config
// file (YAML, snake_case keys); DefaultChart gives UK-style codes (Sage-like numbering) that
// make the demo produce sensible books, and WithDefaults fills whatever a config file leaves
// out. Codes are text so that leading zeros survive.
type Chart struct {
	// BankByAccount maps a Revolut account id to the GL code of that bank account. It wins
	// over BankByCurrency, for businesses that keep several accounts in one currency apart.
	BankByAccount map[string]string `yaml:"bank_by_account"`
	// BankByCurrency maps an ISO 4217 code to the GL code of the Revolut bank account in that
	// currency.
	BankByCurrency map[string]string `yaml:"bank_by_currency"`
	// BankDefault is the bank GL code for currencies not in BankByCurrency.
	BankDefault string `yaml:"bank_default"`
	// BankMergeByCurrency books every Revolut account of one currency on that currency's
	// code, as revledger did before accounts got codes of their own (see ForAccounts).
	BankMergeByCurrency bool `yaml:"bank_merge_by_currency"`

	// InputVAT receives the reclaimable VAT of every expense split.
	InputVAT string `yaml:"input_vat"`
	// OutputVAT is credited with the VAT the business accounts for on a reverse-charge
	// purchase (the input VAT of the same purchase is debited to InputVAT).
	OutputVAT string `yaml:"output_vat"`
	// BankFees is debited with the fee of every transaction leg.
	BankFees string `yaml:"bank_fees"`
	// FXClearing balances, per currency, the legs of exchanges and of transfers between the
	// business's own accounts; its balance in the reporting currency is the FX result.
	FXClearing string `yaml:"fx_clearing"`
	// FXGainLoss receives the realised FX result of exchanges and own-account transfers
	// across currencies, in the base currency (fx.go: the difference between the base values
	// of what was given and what was received).
	FXGainLoss string `yaml:"fx_gain_loss"`
	// FXRounding receives what rounding each line to the base currency's minor units left
	// over in an entry (a minor unit or so), so that every entry balances in base currency.
	FXRounding string `yaml:"fx_rounding"`
	// FXUnrealised receives the unrealised FX result of the optional month-end revaluation of
	// foreign-currency bank balances (revalue.go), in the base currency.
	FXUnrealised string `yaml:"fx_unrealised"`
	// Suspense takes whatever could not be booked properly (card payments without a usable
	// expense, splits without a category, unexplained differences). Every line booked here is
	// also listed as an exception.
	Suspense string `yaml:"suspense"`
	// EmployeeReimbursements is credited with expenses paid by employees out of pocket
	// (external reimbursements, mileage): what the business owes them.
	EmployeeReimbursements string `yaml:"employee_reimbursements"`
	// EmployeeReceivables is debited with card spend an approver sent back as personal
	// (expense refund_requested or refunded) and credited with the employee's repayment: what
	// employees owe the business.
	EmployeeReceivables string `yaml:"employee_receivables"`
	// ToAllocate takes money that came back without a booking to mirror: a refund or
	// chargeback whose original transaction is not known, a card credit. Every line booked
	// here is also listed as an exception.
	ToAllocate string `yaml:"to_allocate"`

	// ByTransactionType maps a Revolut transaction type to the account that balances a
	// transaction without an expense. Types not listed go to Suspense.
	ByTransactionType map[string]string `yaml:"by_transaction_type"`
	// RoutineTypes lists the transaction types whose booking on their ByTransactionType
	// account is routine (top-ups, tax payments, bank charges...): no expense is expected, so
	// no exception is raised. Other types booked without an expense are listed as exceptions.
	RoutineTypes []string `yaml:"routine_types"`
	// ByCategoryCode maps a Revolut accounting-category code to a GL code. A category code not
	// listed is used as the GL code itself, which is how Revolut expects categories to be set
	// up (the category code is the ledger code in the accounting software).
	ByCategoryCode map[string]string `yaml:"by_category_code"`

	// VAT classifies the tax rate of each split (vat.go). It is not read from the chart's YAML:
	// the config file's vat section fills it.
	VAT VATRules `yaml:"-"`

	// Names gives the display name of GL codes. Category accounts not listed take the
	// category's name.
	Names map[string]string `yaml:"names"`
}

// DefaultChart returns the chart the demo uses. The codes follow the common UK (Sage-style)
// numbering:
//
//	1105 Employee receivables  (personal spend sent back to the employee, their repayments)
//	1200–1208 Revolut bank accounts: GBP 1200, EUR 1201, USD 1202, CHF 1203, PLN 1204,
//	          SEK 1205, NOK 1206, DKK 1207, AED 1208; 1209 every other currency
//	1230 Petty cash            (atm)
//	1290 FX clearing           (exchange, own-account transfers)
//	1295 Transfers clearing    (transfer)
//	1296 Refunds and credits to allocate (card_refund, card_chargeback, refund without a
//	     known original; card_credit)
//	1299 Top-up clearing / owner funds (topup, topup_return)
//	2200 VAT control           (tax, tax_refund: payments to and refunds from HMRC)
//	2201 Input VAT             (VAT of expense splits; reverse charge: the self-accounted input)
//	2202 Output VAT            (reverse charge: the VAT the business accounts for)
//	2250 Employee reimbursements
//	2300 Loans                 (loan)
//	7901 Bank charges          (leg fees; fee, charge, charge_refund, refund)
//	7910 Realised FX gains/losses (exchanges and own-account transfers across currencies)
//	7920 FX rounding           (base-currency rounding residue of an entry)
//	7930 Unrealised FX gains/losses (month-end revaluation of foreign bank balances, optional)
//	9999 Suspense              (card_payment or rev_payment without a usable expense, unknown types)
//
// Top-ups and returned top-ups, tax payments and refunds, bank charges and refunded charges,
// exchanges, loans and transfers are routine: booked on their type's account without an
// exception (a transfer is matched to its bill or payroll run in the accounting software,
// which revledger does not see). An ATM withdrawal or a card refund without an expense is
// listed as an exception. A refund with a known original mirrors the original's booking
// (see BookTransaction); a card credit goes to 1296 with an exception rather than to income,
// because nothing says what it is for.
//
// Category codes map to themselves.
func DefaultChart() Chart {
	return Chart{
		BankByCurrency: map[string]string{
			"GBP": "1200", "EUR": "1201", "USD": "1202", "CHF": "1203", "PLN": "1204",
			"SEK": "1205", "NOK": "1206", "DKK": "1207", "AED": "1208",
		},
		BankDefault:            "1209",
		InputVAT:               "2201",
		OutputVAT:              "2202",
		BankFees:               "7901",
		FXClearing:             "1290",
		FXGainLoss:             "7910",
		FXRounding:             "7920",
		FXUnrealised:           "7930",
		Suspense:               "9999",
		EmployeeReimbursements: "2250",
		EmployeeReceivables:    "1105",
		ToAllocate:             "1296",
		VAT:                    DefaultVATRules(),
		ByTransactionType: map[string]string{
			revolut.TypeATM:            "1230",
			revolut.TypeExchange:       "1290",
			revolut.TypeTransfer:       "1295",
			revolut.TypeCardRefund:     "1296",
			revolut.TypeCardChargeback: "1296",
			revolut.TypeTopup:          "1299",
			revolut.TypeTopupReturn:    "1299",
			revolut.TypeTax:            "2200",
			revolut.TypeTaxRefund:      "2200",
			revolut.TypeLoan:           "2300",
			revolut.TypeFee:            "7901",
			revolut.TypeCharge:         "7901",
			revolut.TypeChargeRefund:   "7901",
			revolut.TypeRefund:         "7901",
		},
		RoutineTypes: []string{
			revolut.TypeTopup, revolut.TypeTopupReturn, revolut.TypeTax, revolut.TypeTaxRefund,
			revolut.TypeFee, revolut.TypeCharge, revolut.TypeChargeRefund, revolut.TypeExchange,
			revolut.TypeLoan, revolut.TypeTransfer,
		},
		ByCategoryCode: map[string]string{},
		Names: map[string]string{
			"1200": "Revolut GBP", "1201": "Revolut EUR", "1202": "Revolut USD",
			"1203": "Revolut CHF", "1204": "Revolut PLN", "1205": "Revolut SEK",
			"1206": "Revolut NOK", "1207": "Revolut DKK", "1208": "Revolut AED",
			"1209": "Revolut other currencies",
			"1230": "Petty cash",
			"1105": "Employee receivables",
			"1290": "FX clearing",
			"1295": "Transfers clearing",
			"1296": "Refunds and credits to allocate",
			"1299": "Top-up clearing (owner funds)",
			"2200": "VAT control",
			"2201": "Input VAT",
			"2202": "Output VAT (reverse charge)",
			"2250": "Employee reimbursements",
			"2300": "Loans",
			"7901": "Bank charges",
			"7910": "Realised FX gains/losses",
			"7920": "FX rounding",
			"7930": "Unrealised FX gains/losses",
			"9999": "Suspense",
		},
	}
}

// WithDefaults returns c with every empty code and every missing map entry taken from
// DefaultChart, so a config file only states what differs. Entries of c always win.
func (c Chart) WithDefaults() Chart {
	d := DefaultChart()
	str := func(v *string, def string) {
		if strings.TrimSpace(*v) == "" {
			*v = def
		}
	}
	str(&c.BankDefault, d.BankDefault)
	str(&c.InputVAT, d.InputVAT)
	str(&c.OutputVAT, d.OutputVAT)
	c.VAT = c.VAT.WithDefaults()
	str(&c.BankFees, d.BankFees)
	str(&c.FXClearing, d.FXClearing)
	str(&c.FXGainLoss, d.FXGainLoss)
	str(&c.FXRounding, d.FXRounding)
	str(&c.FXUnrealised, d.FXUnrealised)
	str(&c.Suspense, d.Suspense)
	str(&c.EmployeeReimbursements, d.EmployeeReimbursements)
	str(&c.EmployeeReceivables, d.EmployeeReceivables)
	str(&c.ToAllocate, d.ToAllocate)
	merge := func(m, def map[string]string) map[string]string {
		out := maps.Clone(def)
		if out == nil {
			out = map[string]string{}
		}
		maps.Copy(out, m)
		return out
	}
	c.BankByCurrency = merge(c.BankByCurrency, d.BankByCurrency)
	c.ByTransactionType = merge(c.ByTransactionType, d.ByTransactionType)
	c.ByCategoryCode = merge(c.ByCategoryCode, d.ByCategoryCode)
	c.Names = merge(c.Names, d.Names)
	c.BankByAccount = merge(c.BankByAccount, nil)
	if c.RoutineTypes == nil {
		c.RoutineTypes = slices.Clone(d.RoutineTypes)
	}
	return c
}

// Validate reports every problem of the chart at once, each naming the config key: empty or
// padded codes, currency keys that are not ISO codes, the fixed accounts (input VAT, bank fees,
// FX clearing, suspense, employee reimbursements and receivables, to allocate) sharing a code, and any account that would
// be booked against a bank account (a balancing line on the bank itself hides the movement).
func (c Chart) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	checkCode := func(key, code string) bool {
		switch {
		case code == "":
			bad("%s: account code is empty", key)
		case strings.TrimSpace(code) != code:
			bad("%s: account code %q has leading or trailing spaces", key, code)
		default:
			return true
		}
		return false
	}

	fixed := []struct{ key, code string }{
		{"input_vat", c.InputVAT},
		{"output_vat", c.OutputVAT},
		{"bank_fees", c.BankFees},
		{"fx_clearing", c.FXClearing},
		{"fx_gain_loss", c.FXGainLoss},
		{"fx_rounding", c.FXRounding},
		{"fx_unrealised", c.FXUnrealised},
		{"suspense", c.Suspense},
		{"employee_reimbursements", c.EmployeeReimbursements},
		{"employee_receivables", c.EmployeeReceivables},
		{"to_allocate", c.ToAllocate},
	}
	usedBy := map[string]string{}
	for _, f := range fixed {
		if !checkCode(f.key, f.code) {
			continue
		}
		if other, ok := usedBy[f.code]; ok {
			bad("%s and %s share account %q; they must be separate accounts to reconcile", other, f.key, f.code)
			continue
		}
		usedBy[f.code] = f.key
	}

	banks := map[string]string{} // code → key that made it a bank account
	addBank := func(key, code string) {
		if !checkCode(key, code) {
			return
		}
		if other, ok := usedBy[code]; ok {
			bad("%s: account %q is also %s; a bank account cannot double as that", key, code, other)
		}
		if _, ok := banks[code]; !ok {
			banks[code] = key
		}
	}
	addBank("bank_default", c.BankDefault)
	for _, cur := range slices.Sorted(maps.Keys(c.BankByCurrency)) {
		if !IsCurrencyCode(cur) {
			bad("bank_by_currency: %q is not an ISO 4217 currency code (three capital letters)", cur)
		}
		addBank("bank_by_currency."+cur, c.BankByCurrency[cur])
	}
	for _, id := range slices.Sorted(maps.Keys(c.BankByAccount)) {
		if strings.TrimSpace(id) == "" {
			bad("bank_by_account: empty Revolut account id")
		}
		addBank("bank_by_account."+id, c.BankByAccount[id])
	}

	for _, typ := range slices.Sorted(maps.Keys(c.ByTransactionType)) {
		key := "by_transaction_type." + typ
		if strings.TrimSpace(typ) == "" {
			bad("by_transaction_type: empty transaction type")
		}
		code := c.ByTransactionType[typ]
		if !checkCode(key, code) {
			continue
		}
		if bank, ok := banks[code]; ok {
			bad("%s: account %q is the bank account of %s; the transaction would be booked against itself", key, code, bank)
		}
	}
	for _, cat := range slices.Sorted(maps.Keys(c.ByCategoryCode)) {
		key := "by_category_code." + cat
		if strings.TrimSpace(cat) == "" {
			bad("by_category_code: empty category code")
		}
		code := c.ByCategoryCode[cat]
		if !checkCode(key, code) {
			continue
		}
		if bank, ok := banks[code]; ok {
			bad("%s: account %q is the bank account of %s; an expense cannot be booked on a bank account", key, code, bank)
		}
	}
	for _, code := range slices.Sorted(maps.Keys(c.Names)) {
		if strings.TrimSpace(code) == "" {
			bad("names: empty account code")
		}
	}
	if err := c.VAT.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("invalid chart of accounts: %w", errors.Join(errs...))
}

// bankCode returns the GL code of the Revolut account accountID holding currency.
func (c Chart) bankCode(accountID, currency string) string {
	if code, ok := c.BankByAccount[accountID]; ok && accountID != "" {
		return code
	}
	if code, ok := c.BankByCurrency[strings.ToUpper(currency)]; ok {
		return code
	}
	return c.BankDefault
}

// name returns the display name of code, or fallback when the chart has none.
func (c Chart) name(code, fallback string) string {
	if n, ok := c.Names[code]; ok && n != "" {
		return n
	}
	if fallback != "" {
		return fallback
	}
	return code
}

// firstExtraBankCode and lastExtraBankCode bound the codes ForAccounts gives a second (third...)
// Revolut account in one currency: right after the default per-currency codes 1200–1209, and
// below petty cash (1230).
const (
	firstExtraBankCode = 1210
	lastExtraBankCode  = 1229
)

// ForAccounts returns c with a bank code of its own for every Revolut account, so that two
// accounts in one currency (Main and Savings in GBP) are two bank accounts in the books, each
// reconcilable against its own statement. Precedence, highest first:
//
//  1. BankByAccount: the user's code for that account id, as configured.
//  2. BankByCurrency (or BankDefault): the first account of the currency, in the order the
//     accounts were opened (created_at, then id), keeps the currency's code, so a business
//     with one account per currency keeps the codes it had.
//  3. Every further account of that currency gets the next code in 1210–1229 used nowhere
//     else in the chart, in opening order: an account opened later never moves the codes of
//     the older ones. When that range is used up, or the currency's code is not a number,
//     the account shares the currency's code as before.
//
// BankMergeByCurrency switches 2 and 3 off (every account of a currency shares its code).
// Each code assigned here is named after the account, "Revolut {name} {currency}", unless
// Names gives the code a name other than DefaultChart's.
func (c Chart) ForAccounts(accounts []revolut.Account) Chart {
	if len(accounts) == 0 {
		return c
	}
	c.BankByAccount = maps.Clone(c.BankByAccount)
	if c.BankByAccount == nil {
		c.BankByAccount = map[string]string{}
	}
	c.Names = maps.Clone(c.Names)
	if c.Names == nil {
		c.Names = map[string]string{}
	}
	defaults := DefaultChart().Names
	used := c.usedCodes()
	sorted := slices.Clone(accounts)
	slices.SortStableFunc(sorted, func(a, b revolut.Account) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt.Time), strings.Compare(a.ID, b.ID))
	})
	if c.BankMergeByCurrency {
		return c
	}
	taken := map[string]bool{} // codes already given to an account
	for _, code := range c.BankByAccount {
		taken[code] = true
	}
	next := firstExtraBankCode
	for _, a := range sorted {
		if a.ID == "" {
			continue
		}
		if _, ok := c.BankByAccount[a.ID]; ok {
			continue
		}
		cur := strings.ToUpper(a.Currency)
		code := c.bankCode("", cur)
		if taken[code] {
			_, numeric := strconv.Atoi(code)
			for numeric == nil && next <= lastExtraBankCode && used[strconv.Itoa(next)] {
				next++
			}
			if numeric != nil || next > lastExtraBankCode {
				continue // share the currency's code, as before per-account codes
			}
			code = strconv.Itoa(next)
			used[code] = true
		}
		taken[code] = true
		c.BankByAccount[a.ID] = code
		if n, ok := c.Names[code]; !ok || n == "" || n == defaults[code] {
			c.Names[code] = accountName(a, cur)
		}
	}
	return c
}

// accountName names the bank account of a Revolut account: "Revolut Main GBP".
func accountName(a revolut.Account, cur string) string {
	name := strings.TrimSpace(a.Name)
	if name == "" {
		id := a.ID
		if len(id) > 8 {
			id = id[:8]
		}
		name = id
	}
	return "Revolut " + name + " " + cur
}

// usedCodes is every account code the chart names or books to.
func (c Chart) usedCodes() map[string]bool {
	used := map[string]bool{}
	for _, code := range []string{c.BankDefault, c.InputVAT, c.BankFees, c.FXClearing, c.Suspense, c.EmployeeReimbursements} {
		used[code] = true
	}
	for _, m := range []map[string]string{c.BankByAccount, c.BankByCurrency, c.ByTransactionType, c.ByCategoryCode} {
		for _, code := range m {
			used[code] = true
		}
	}
	for code := range c.Names {
		used[code] = true
	}
	return used
}
