package extract

// Client is every list extraction reads: what a run's client must offer. *revolut.Client
// satisfies it.
type Client interface {
	SettingsAPI
	TransactionLister
	ExpenseLister
	TransactionGetter
}
