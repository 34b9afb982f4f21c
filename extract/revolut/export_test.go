package revolut

// Internal functions exposed to the black-box tests in package revolut_test.
var (
	ClientAssertion   = clientAssertion
	Backoff           = backoff
	ParseRetryAfter   = parseRetryAfter
	SniffContentType  = sniffContentType
	Redact            = redact
	AssertionAudience = assertionAudience
)

// DecodeTransaction and friends run the list decoders on one record, as the pagers do.
var (
	DecodeTransaction        = transactionKind.decode
	DecodeExpense            = expenseKind.decode
	DecodeAccount            = accountKind.decode
	DecodeCard               = cardKind.decode
	DecodeTeamMember         = teamMemberKind.decode
	DecodeCounterparty       = counterpartyKind.decode
	DecodeAccountingCategory = accountingCategoryKind.decode
	DecodeTaxRate            = taxRateKind.decode
	DecodeLabelGroup         = labelGroupKind.decode
	DecodeLabel              = labelKind("group-1").decode
)

// DecodeTokenPage decodes a page_token list envelope as the client does.
func DecodeTokenPage(field string, body []byte) (records int, next string, err error) {
	p := tokenPage{field: field}
	if err := p.UnmarshalJSON(body); err != nil {
		return 0, "", err
	}
	return len(p.records), p.next, nil
}
