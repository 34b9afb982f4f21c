package exporters

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/revledger/revledger/exporters/csvfmt"
	"github.com/revledger/revledger/exporters/report"
	"github.com/revledger/revledger/transform"
	"github.com/shopspring/decimal"
)

// DefaultBaseCurrency is the currency of the books the Xero and QuickBooks journals are
// imported into, unless Config.BaseCurrency says otherwise.
const DefaultBaseCurrency = "GBP"

// Export targets (Config.Targets).
const (
	TargetXero       = "xero"       // precoded statements or manual journals for Xero
	TargetQuickBooks = "quickbooks" // QuickBooks Online journals
	TargetGeneric    = "generic"    // the canonical journal and card spend CSVs
)

// DefaultTargets is every target.
var DefaultTargets = []string{TargetXero, TargetQuickBooks, TargetGeneric}

// XeroName is the first (often only) Xero manual journal file of the base currency.
func XeroName(period string) string { return "xero_journal_" + period + ".csv" }

// QuickBooksName is the first (often only) QuickBooks journal file of the base currency.
func QuickBooksName(period string) string { return "quickbooks_journal_" + period + ".csv" }

// importFiles writes a period's Xero and QuickBooks files as the lines stream by, an entry at
// a time (the ledger yields an entry's lines together).
//
// Xero, statement route: each Revolut account's bank movements go to its precoded
// statement, xero_statement_{account slug}_{YYYY-MM}.csv, and what touches no bank
// (out-of-pocket expenses) to the manual journal. Journal route: every entry is a manual
// journal with the bank side on clearing accounts. QuickBooks: every entry is a journal.
//
// Xero manual journals are in the base currency only (Xero books a manual journal in the
// organisation's base currency): every line is written at its base amount. QuickBooks
// journals carry a currency and exchange rate per entry (csvfmt.QuickBooksJournal says
// which). An entry with a foreign line that has no base amount (no rate was found) is left
// out of both, never written with its foreign amount as base currency, and listed in
// notExported (the manifest and the workbook's Exceptions). Every file is split into
// numbered parts within its importer's limit, never splitting a journal; the journal files
// are always written, possibly empty.
type importFiles struct {
	r           *run
	base        string
	xero, qbo   bool
	route       string
	statements  map[string]*partFile // by Revolut account id
	slugs       map[string]string    // slug → Revolut account id
	xj, qj      *partFile
	entry       []transform.Line
	notExported []ManifestNotExported
}

// partWriter is a format writer of package csvfmt that writes numbered parts.
type partWriter interface {
	Close() error
	Rows() []int
}

type partFile struct {
	outs []*out
	w    partWriter
	st   *csvfmt.XeroStatement
	xj   *csvfmt.XeroJournal
	qj   *csvfmt.QuickBooksJournal
}

func (f *partFile) opener(r *run, base string) csvfmt.Opener {
	return func(part int) (io.Writer, error) {
		o, err := r.create(csvfmt.PartName(base, part), csvType)
		if err != nil {
			return nil, err
		}
		f.outs = append(f.outs, o)
		return o, nil
	}
}

func newImportFiles(r *run) (*importFiles, error) {
	base := r.e.cfg.BaseCurrency
	if base == "" {
		base = DefaultBaseCurrency
	}
	j := &importFiles{
		r: r, base: base, xero: r.e.wants(TargetXero), qbo: r.e.wants(TargetQuickBooks),
		route:      r.e.cfg.Xero.WithDefaults().Route,
		statements: map[string]*partFile{}, slugs: map[string]string{},
	}
	if j.xero {
		j.xj = &partFile{}
		xo := r.e.cfg.Xero
		xo.BaseCurrency = base
		j.xj.xj = csvfmt.NewXeroJournal(j.xj.opener(r, csvfmt.JournalBase("xero_journal", r.p.Label, base, base)), xo)
		j.xj.w = j.xj.xj
		if err := j.xj.xj.Open(); err != nil {
			return nil, err
		}
	}
	if j.qbo {
		opts := r.e.cfg.QuickBooks
		opts.BaseCurrency = base
		j.qj = &partFile{}
		j.qj.qj = csvfmt.NewQuickBooksJournal(j.qj.opener(r, csvfmt.JournalBase("quickbooks_journal", r.p.Label, base, base)), opts)
		j.qj.w = j.qj.qj
		if err := j.qj.qj.Open(); err != nil {
			return nil, err
		}
	}
	return j, nil
}

// skip records an entry left out of a file series because a foreign line has no base
// amount.
func (j *importFiles) skip(series string, entry []transform.Line) {
	j.notExported = append(j.notExported, ManifestNotExported{
		File: series, EntryID: entry[0].EntryID, Date: entry[0].BookingDate,
		Reason: "no " + j.base + " amount for its " + strings.Join(csvfmt.MissingBase(entry, j.base), ", ") +
			" lines (no exchange rate): left out rather than booked in " + j.base,
	})
}

// statement returns the statement writer of the Revolut account of bank line l. Its file is
// named after the account's ledger name ("Revolut Main GBP" → revolut-main-gbp); two
// accounts whose names make the same slug (both booked on one shared code) are told apart by
// the start of the account id.
func (j *importFiles) statement(l *transform.Line) *csvfmt.XeroStatement {
	if f, ok := j.statements[l.RevolutAccountID]; ok {
		return f.st
	}
	slug := csvfmt.Slug(l.AccountName)
	if slug == "" {
		slug = "account"
	}
	if other, taken := j.slugs[slug]; taken && other != l.RevolutAccountID {
		id := csvfmt.Slug(l.RevolutAccountID)
		slug += "-" + id[:min(8, len(id))]
	}
	j.slugs[slug] = l.RevolutAccountID
	f := &partFile{}
	f.st = csvfmt.NewXeroStatement(f.opener(j.r, csvfmt.StatementBase(slug, j.r.p.Label)), j.r.e.cfg.Xero)
	f.w = f.st
	j.statements[l.RevolutAccountID] = f
	return f.st
}

// write takes the next line; an entry is written when the next one starts.
func (j *importFiles) write(l *transform.Line) error {
	if !j.xero && !j.qbo {
		return nil
	}
	if len(j.entry) > 0 && j.entry[0].EntryID != l.EntryID {
		if err := j.flush(); err != nil {
			return err
		}
	}
	j.entry = append(j.entry, *l)
	return nil
}

func (j *importFiles) flush() error {
	if len(j.entry) == 0 {
		return nil
	}
	defer func() { j.entry = j.entry[:0] }()
	journal := j.entry
	if j.xero && j.route == csvfmt.XeroRouteStatement && report.IsAdjustment(&j.entry[0]) {
		if err := j.adjustmentStatements(); err != nil {
			return err
		}
	} else if j.xero && j.route == csvfmt.XeroRouteStatement {
		lines, rest := csvfmt.StatementLines(j.entry)
		byAccount := map[string][]csvfmt.StatementLine{}
		var order []string
		for _, sl := range lines {
			id := sl.Bank.RevolutAccountID
			if _, ok := byAccount[id]; !ok {
				order = append(order, id)
			}
			byAccount[id] = append(byAccount[id], sl)
		}
		for _, id := range order {
			st := j.statement(byAccount[id][0].Bank)
			if err := st.Write(byAccount[id]); err != nil {
				return fmt.Errorf("write Xero statement of account %s: %w", id, err)
			}
		}
		journal = rest
	}
	if j.xero && len(journal) > 0 {
		err := j.xj.xj.WriteEntry(journal)
		switch {
		case errors.Is(err, csvfmt.ErrNoBaseAmount):
			j.skip("xero_journal", journal)
		case err != nil:
			return fmt.Errorf("write Xero journal: %w", err)
		}
	}
	if j.qbo {
		err := j.qj.qj.WriteEntry(j.entry)
		switch {
		case errors.Is(err, csvfmt.ErrNoBaseAmount):
			j.skip("quickbooks_journal", j.entry)
		case err != nil:
			return fmt.Errorf("write QuickBooks journal: %w", err)
		}
	}
	return nil
}

// adjustmentStatements writes what an adjustment entry does to the Revolut accounts' Xero
// statements in the statement route. An adjustment reverses a booking of a closed period and
// books it anew; its bank lines are not movements of their own (a recategorised payment
// reverses and re-books the same −120.00), and the statement must list only what really moved
// the account. So the whole entry goes to the manual journal, its bank side on the clearing
// account as in the journal route, and the statement gets one line per Revolut account whose
// balance the adjustment changes, for the net amount (+120.00 for a reverted card payment:
// the money came back), coded to that clearing account, which it brings back to zero. An
// adjustment that nets to zero on the bank (a recategorisation) adds no statement line.
func (j *importFiles) adjustmentStatements() error {
	opts := j.r.e.cfg.Xero.WithDefaults()
	net := map[string]decimal.Decimal{}
	first := map[string]*transform.Line{}
	var order []string
	for i := range j.entry {
		l := &j.entry[i]
		if !report.IsBankLine(l) {
			continue
		}
		if _, ok := first[l.RevolutAccountID]; !ok {
			first[l.RevolutAccountID] = l
			order = append(order, l.RevolutAccountID)
		}
		net[l.RevolutAccountID] = net[l.RevolutAccountID].Add(l.Amount)
	}
	for _, id := range order {
		if net[id].IsZero() {
			continue
		}
		b := *first[id]
		b.Key.Role = transform.RoleBank
		b.Amount = net[id]
		desc := report.AdjustmentNarration(&b)
		if b.Description != "" {
			desc += ": " + b.Description
		}
		b.Description = desc
		sl := csvfmt.StatementLine{Bank: &b, Amount: net[id], AccountCode: opts.ClearingCode(&b)}
		if err := j.statement(&b).Write([]csvfmt.StatementLine{sl}); err != nil {
			return fmt.Errorf("write Xero statement of account %s: %w", id, err)
		}
	}
	return nil
}

// finish writes the last entry, closes every file and describes them for the manifest.
func (j *importFiles) finish() ([]ManifestFile, error) {
	if err := j.flush(); err != nil {
		return nil, err
	}
	var all []*partFile
	for _, k := range slices.Sorted(maps.Keys(j.statements)) {
		all = append(all, j.statements[k])
	}
	for _, f := range []*partFile{j.xj, j.qj} {
		if f != nil {
			all = append(all, f)
		}
	}
	var files []ManifestFile
	for _, f := range all {
		if err := f.w.Close(); err != nil {
			return nil, fmt.Errorf("write %s: %w", strings.Join(names(f.outs), ", "), err)
		}
		rows := f.w.Rows()
		for i, o := range f.outs {
			o.rows = rows[i]
			mf, err := o.finish()
			if err != nil {
				return nil, err
			}
			files = append(files, mf)
		}
	}
	return files, nil
}

func names(outs []*out) []string {
	n := make([]string, len(outs))
	for i, o := range outs {
		n[i] = o.name
	}
	return n
}
