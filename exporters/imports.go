package exporters

import (
	"fmt"
	"maps"
	"slices"

	"github.com/revledger/revledger/exporters/csv"
	"github.com/revledger/revledger/transform"
)

// DefaultBaseCurrency is the currency of the books the Xero and QuickBooks journals are
// imported into, unless Config.BaseCurrency says otherwise.
const DefaultBaseCurrency = "GBP"

// XeroCurrencyName is the name of the Xero manual journal CSV of one currency other than
// the base currency.
func XeroCurrencyName(period, currency string) string {
	return "xero_journal_" + period + "_" + currency + ".csv"
}

// QuickBooksCurrencyName is the name of the QuickBooks journal CSV of one currency other
// than the base currency.
func QuickBooksCurrencyName(period, currency string) string {
	return "quickbooks_journal_" + period + "_" + currency + ".csv"
}

// importJournals writes a period's Xero and QuickBooks journal files, one pair per currency.
// Both imports take every amount in the organisation's base currency: a EUR line among GBP
// lines would be posted as that many pounds. So the base currency's lines go to the plain
// names (always written, possibly empty), and each other currency met gets its own pair,
// suffixed with the currency, for the accountant to convert or post to a foreign-currency
// ledger. The lines of an entry sum to zero per currency, so each file's journals balance.
type importJournals struct {
	r     *run
	base  string
	pairs map[string]*importPair
}

type importPair struct {
	xo, qo *out
	xero   *csv.XeroJournal
	qbo    *csv.QuickBooksJournal
}

func newImportJournals(r *run) (*importJournals, error) {
	base := r.e.cfg.BaseCurrency
	if base == "" {
		base = DefaultBaseCurrency
	}
	j := &importJournals{r: r, base: base, pairs: map[string]*importPair{}}
	if _, err := j.pair(base); err != nil {
		return nil, err
	}
	return j, nil
}

func (j *importJournals) pair(currency string) (*importPair, error) {
	if p, ok := j.pairs[currency]; ok {
		return p, nil
	}
	label := j.r.p.Label
	xn, qn := XeroName(label), QuickBooksName(label)
	if currency != j.base {
		xn, qn = XeroCurrencyName(label, currency), QuickBooksCurrencyName(label, currency)
	}
	p := &importPair{}
	var err error
	if p.xo, err = j.r.create(xn, csvType); err != nil {
		return nil, err
	}
	if p.xero, err = csv.NewXeroJournal(p.xo, j.r.e.cfg.Xero); err != nil {
		return nil, err
	}
	if p.qo, err = j.r.create(qn, csvType); err != nil {
		return nil, err
	}
	if p.qbo, err = csv.NewQuickBooksJournal(p.qo, j.r.e.cfg.QuickBooks); err != nil {
		return nil, err
	}
	j.pairs[currency] = p
	return p, nil
}

// write routes l to the pair of its currency.
func (j *importJournals) write(l *transform.Line) error {
	p, err := j.pair(l.Currency)
	if err != nil {
		return err
	}
	if err := p.xero.Write(l); err != nil {
		return fmt.Errorf("write %s: %w", p.xo.name, err)
	}
	if err := p.qbo.Write(l); err != nil {
		return fmt.Errorf("write %s: %w", p.qo.name, err)
	}
	return nil
}

// finish closes every file, in currency order, and describes them for the manifest.
func (j *importJournals) finish() ([]ManifestFile, error) {
	var files []ManifestFile
	for _, cur := range slices.Sorted(maps.Keys(j.pairs)) {
		p := j.pairs[cur]
		for _, c := range []struct {
			o *out
			w csvWriter
		}{{p.xo, p.xero}, {p.qo, p.qbo}} {
			f, err := c.o.closeCSV(c.w)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
		}
	}
	return files, nil
}
