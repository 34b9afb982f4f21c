package exporters

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"iter"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/revledger/revledger/exporters/csvfmt"
	"github.com/revledger/revledger/exporters/report"
	"github.com/revledger/revledger/exporters/vatreturn"
	"github.com/revledger/revledger/exporters/xlsx"
	"github.com/revledger/revledger/internal/handoff"
	"github.com/revledger/revledger/internal/period"
	"github.com/revledger/revledger/sink"
	"github.com/revledger/revledger/transform"
)

// Ledger is where an export reads the period from. The warehouse (load.Store) implements it.
type Ledger interface {
	// LedgerLines yields the current lines with BookingDate in [from, to), ordered by booking
	// date, entry id and key.
	LedgerLines(ctx context.Context, from, to time.Time) iter.Seq2[transform.Line, error]
	// Exceptions yields the exceptions of the window.
	Exceptions(ctx context.Context, from, to time.Time) iter.Seq2[transform.Exception, error]
}

// CardSource describes the cards as the warehouse holds them now, including cards the API no
// longer lists. It is optional: New uses it when the Ledger implements it too (load.Store
// does); without it the Cards sheet describes each card by what its ledger lines say.
type CardSource interface {
	Cards(ctx context.Context) ([]transform.CardInfo, error)
}

// OpeningSource gives the balances before a date: per account (in base currency) for the
// trial balance's openings, and per Revolut account the balance Revolut last reported, for
// the bank reconciliation. It is optional: New uses it when the Ledger implements it too
// (load.Store does); without it the trial balance opens at zero and says so, and each bank
// reconciliation opens from the period's first reported balance.
type OpeningSource interface {
	OpeningBalances(ctx context.Context, before time.Time) (transform.OpeningBalances, error)
}

// Sink is where an export stores its files; sink.Dir and sink.S3 implement it.
type Sink interface {
	Put(ctx context.Context, key string, r io.Reader, meta sink.Meta) (sink.ObjectInfo, error)
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	Copy(ctx context.Context, src, dst string) error
	Delete(ctx context.Context, key string) error
	List(ctx context.Context, prefix string) ([]sink.ObjectInfo, error)
	Link(key string) string
}

// Config configures an Exporter. The zero value works.
type Config struct {
	Company    string // shown on the Summary sheet and in the manifest
	RowLimit   int    // rows per sheet before a continuation sheet; default xlsx.MaxRows
	TmpDir     string // where files are written before upload; default the system's
	Xero       csvfmt.XeroOptions
	QuickBooks csvfmt.QuickBooksOptions
	// Targets says which files to write besides the workbook and manifest: TargetXero,
	// TargetQuickBooks, TargetGeneric. Empty means DefaultTargets (all).
	Targets []string
	// ReceiptLinks is how the workbook links receipts: ReceiptLinksRelative ("../receipts/..."
	// from the period folder, which works when the whole export is downloaded), or the
	// sink's own link (ReceiptLinksObject, ReceiptLinksPresigned: a URL that works for the
	// workbook downloaded alone; the S3 sink is configured to presign or not). Empty:
	// relative for a folder sink, the sink's link otherwise.
	ReceiptLinks string
	// BaseCurrency is the currency of the books the Xero and QuickBooks journals are imported
	// into (ISO 4217); lines in other currencies go to files of their own. Default
	// DefaultBaseCurrency.
	BaseCurrency string
	Now          func() time.Time // the clock for generated_at; default time.Now
	Logger       *slog.Logger     // default discards

	// VATIncludeUnapproved counts the lines of expenses not approved yet in the workbook's
	// VAT return (config vat.include_unapproved); they are listed there either way.
	VATIncludeUnapproved bool
}

// Exporter writes the exports of one period at a time.
type Exporter struct {
	ledger Ledger
	cards  CardSource    // nil when the ledger cannot describe cards
	open   OpeningSource // nil when the ledger cannot give opening balances
	sink   Sink
	cfg    Config
	log    *slog.Logger
}

// New returns an Exporter reading from ledger and writing to s.
func New(ledger Ledger, s Sink, cfg Config) *Exporter {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cards, _ := ledger.(CardSource)
	open, _ := ledger.(OpeningSource)
	return &Exporter{ledger: ledger, cards: cards, open: open, sink: s, cfg: cfg, log: log}
}

// WorkbookName is the period workbook's name.
func WorkbookName(period string) string { return "revledger_" + period + ".xlsx" }

// JournalName is the canonical journal CSV's name.
func JournalName(period string) string { return "journal_" + period + ".csv" }

// CardsName is the card spend CSV's name.
func CardsName(period string) string { return "cards_" + period + ".csv" }

// AdjustmentsName is the adjustments CSV's name: the lines of the adjustment entries booked
// in the period for changes to closed periods (the header alone when there are none).
func AdjustmentsName(period string) string { return "adjustments_" + period + ".csv" }

// KindNotExported is the kind of the workbook's exception for an entry an import file left
// out (a foreign line without a base amount).
const KindNotExported = "not_exported"

// ManifestName is the manifest's name in every period folder.
const ManifestName = "manifest.json"

// Result is what one export wrote.
type Result struct {
	Manifest Manifest
	// Archived is the folder the previous version was copied to, or "" when the data had not
	// changed or there was no previous version.
	Archived string
}

// Holder is the run lock as an export sees it: Held returns an error once the lock is no
// longer held. *load.Writer satisfies it.
type Holder interface {
	Held(ctx context.Context) error
}

// Export writes every file of period p and its manifest, tagged with runID, for a caller that
// holds no run lock (a test, an example); the pipeline uses a Sequence.
func (e *Exporter) Export(ctx context.Context, p period.Period, runID string) (Result, error) {
	return e.ExportHolding(ctx, p, runID, nil)
}

// ExportHolding is Export for a run that holds the run lock: before each file of the period is
// published (copied to history, uploaded, the manifest written, a stale file removed), lock
// must still be held, else the export stops with lock's error, before the manifest when it can,
// so the previous manifest stays. Losing the lock used to be noticed only at the next commit,
// after every file of the period had been rewritten. A nil lock is not checked.
func (e *Exporter) ExportHolding(ctx context.Context, p period.Period, runID string, lock Holder) (Result, error) {
	return e.Sequence().ExportHolding(ctx, p, runID, lock)
}

// Sequence exports periods one after another from a ledger that does not change until the
// last of them, as the pipeline's export stage does once booking is over. A period that starts
// where the previous one ended opens at that one's closing balances, carried through its lines
// (transform.Roll), instead of at balances read from the warehouse, which sums every line
// before the period: a year exported month by month reads the ledger's history once. Reading
// the openings of each month took a tenth of a one-year backfill's time. A Sequence is not
// safe for concurrent use.
type Sequence struct {
	e *Exporter
	// carried are the closing balances of the last period exported, which open a period that
	// starts at next.
	carried *transform.OpeningBalances
	next    time.Time
}

// Sequence starts a sequence of exports.
func (e *Exporter) Sequence() *Sequence { return &Sequence{e: e} }

// ExportHolding is Exporter.ExportHolding within the sequence.
func (s *Sequence) ExportHolding(ctx context.Context, p period.Period, runID string, lock Holder) (Result, error) {
	e := s.e
	if p.Label == "" || !p.From.Before(p.To) {
		return Result{}, fmt.Errorf("export: invalid period %q [%s, %s)", p.Label, p.From, p.To)
	}
	if err := sink.CheckKey(p.Label); err != nil || strings.Contains(p.Label, "/") {
		return Result{}, fmt.Errorf("export: period label %q cannot name a folder", p.Label)
	}
	dir, err := os.MkdirTemp(e.cfg.TmpDir, "revledger-export-*")
	if err != nil {
		return Result{}, fmt.Errorf("export %s: create work folder: %w", p.Label, err)
	}
	defer os.RemoveAll(dir)

	started := e.cfg.Now().UTC()
	run := &run{e: e, p: p, dir: dir, receipts: map[string][]sink.ObjectInfo{},
		withReceipts: map[string]bool{}}
	if s.carried != nil && s.next.Equal(p.From) {
		run.carried = s.carried
	}
	s.carried = nil // whatever happens below, what was carried opens no other period
	defer run.close()
	m, err := run.write(ctx, runID, started)
	if err != nil {
		return Result{}, fmt.Errorf("export %s: %w", p.Label, err)
	}
	archived, err := e.publish(ctx, p.Label, dir, m, held(lock))
	if err != nil {
		return Result{}, fmt.Errorf("export %s: %w", p.Label, err)
	}
	if run.closing != nil {
		s.carried, s.next = run.closing, p.To
	}
	e.log.InfoContext(ctx, "period exported", slog.String("period", p.Label), slog.String("run_id", runID),
		slog.Int("files", len(m.Files)), slog.Int("lines", m.Counts.Lines), slog.String("archived", archived))
	return Result{Manifest: m, Archived: archived}, nil
}

// out is a file in the work folder, hashed as it is written.
type out struct {
	name string
	f    *os.File
	bw   *bufio.Writer
	h    hash.Hash
	n    int64
	rows int
	ct   string
}

func (e *Exporter) create(dir, name, contentType string) (*out, error) {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	return &out{name: name, f: f, bw: bufio.NewWriterSize(f, 1<<16), h: sha256.New(), ct: contentType}, nil
}

func (o *out) Write(p []byte) (int, error) {
	o.h.Write(p)
	o.n += int64(len(p))
	return o.bw.Write(p)
}

func (o *out) finish() (ManifestFile, error) {
	err := o.bw.Flush()
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return ManifestFile{}, fmt.Errorf("write %s: %w", o.name, err)
	}
	return ManifestFile{Name: o.name, Size: o.n, SHA256: hex.EncodeToString(o.h.Sum(nil)), Rows: o.rows, ContentType: o.ct}, nil
}

// csvWriter is a CSV format writer of package csvfmt: it counts its data rows.
type csvWriter interface {
	Close() error
	Rows() int
}

// closeCSV closes the format writer w that writes to o, then o itself.
func (o *out) closeCSV(w csvWriter) (ManifestFile, error) {
	if err := w.Close(); err != nil {
		return ManifestFile{}, fmt.Errorf("write %s: %w", o.name, err)
	}
	o.rows = w.Rows()
	return o.finish()
}

// run is the state of one export while the ledger streams through it.
type run struct {
	e        *Exporter
	p        period.Period
	dir      string
	wb       *xlsx.Workbook
	receipts map[string][]sink.ObjectInfo
	listed   bool
	// withReceipts holds the expenses of the period's lines that have receipts: the
	// listing of receipts/ covers every period, and only these are kept from it.
	withReceipts map[string]bool
	opened       []*out
	// carried are the balances the sequence carried from the period that ended where this one
	// starts, nil for none; closing are the balances at the period's end (nil when the
	// openings were not known), for the sequence to carry into the next period.
	carried, closing *transform.OpeningBalances
}

// openings returns the balances before the period: carried from the sequence's previous
// period, else read from the warehouse; false when the ledger cannot give them.
func (r *run) openings(ctx context.Context) (transform.OpeningBalances, bool, error) {
	if r.carried != nil {
		return *r.carried, true, nil
	}
	if r.e.open == nil {
		return transform.OpeningBalances{}, false, nil
	}
	o, err := r.e.open.OpeningBalances(ctx, r.p.From)
	if err != nil {
		return o, false, fmt.Errorf("read opening balances: %w", err)
	}
	return o, true, nil
}

func (r *run) close() {
	if r.wb != nil {
		_ = r.wb.Close()
	}
	for _, o := range r.opened {
		_ = o.f.Close() // already closed on success; this is for the error paths
	}
}

func (r *run) create(name, ct string) (*out, error) {
	o, err := r.e.create(r.dir, name, ct)
	if err == nil {
		r.opened = append(r.opened, o)
	}
	return o, err
}

const csvType = "text/csv; charset=utf-8"

// readAhead is how many ledger lines are read in one batch while the previous one is written.
const readAhead = 512

func (r *run) write(ctx context.Context, runID string, started time.Time) (Manifest, error) {
	label := r.p.Label
	var err error
	base := cmp.Or(r.e.cfg.BaseCurrency, DefaultBaseCurrency)
	r.wb, err = xlsx.New(xlsx.Options{RowLimit: r.e.cfg.RowLimit, TmpDir: r.dir, ReceiptLink: r.receiptLinker(ctx), BaseCurrency: base})
	if err != nil {
		return Manifest{}, err
	}
	generic := r.e.wants(TargetGeneric)
	var jo, ao *out
	var journal *csvfmt.Journal
	var adjustments *csvfmt.Adjustments
	if generic {
		if jo, err = r.create(JournalName(label), csvType); err != nil {
			return Manifest{}, err
		}
		if journal, err = csvfmt.NewJournal(jo); err != nil {
			return Manifest{}, err
		}
		journal.SetBaseCurrency(base)
		if ao, err = r.create(AdjustmentsName(label), csvType); err != nil {
			return Manifest{}, err
		}
		if adjustments, err = csvfmt.NewAdjustments(ao); err != nil {
			return Manifest{}, err
		}
	}
	imports, err := newImportFiles(r)
	if err != nil {
		return Manifest{}, err
	}

	agg := report.NewAggregator()
	agg.SetBaseCurrency(base)
	opening, known, err := r.openings(ctx)
	if err != nil {
		return Manifest{}, err
	}
	var roll *transform.Roll
	if known {
		agg.SetOpening(opening)
		roll = transform.NewRoll(opening)
	}
	spend := report.NewCardSpend(r.p)
	vat := vatreturn.New(vatreturn.Options{Currency: base,
		IncludeUnapproved: r.e.cfg.VATIncludeUnapproved})
	// Each batch of lines goes to two writers on goroutines of their own: the workbook (with
	// the aggregator whose bank rows and split totals it shows) and the CSV files with the
	// period's other figures. They only read the lines. The workbook was two thirds of the
	// time spent on each line.
	toWorkbook := func(l *transform.Line) error {
		if len(l.ReceiptIDs) > 0 && l.ExpenseID != "" {
			r.withReceipts[l.ExpenseID] = true
		}
		bank, split := agg.Add(l)
		if err := r.bankRows(bank); err != nil {
			return err
		}
		return r.wb.Line(l, split)
	}
	toFiles := func(l *transform.Line) error {
		spend.Add(l)
		vat.Add(l)
		if roll != nil {
			roll.Add(l)
		}
		if journal != nil {
			if err := journal.Write(l); err != nil {
				return fmt.Errorf("write %s: %w", jo.name, err)
			}
			if err := adjustments.Write(l); err != nil {
				return fmt.Errorf("write %s: %w", ao.name, err)
			}
		}
		return imports.write(l)
	}
	each := func(add func(*transform.Line) error) func(context.Context, []transform.Line) error {
		return func(_ context.Context, batch []transform.Line) error {
			for i := range batch {
				if err := add(&batch[i]); err != nil {
					return err
				}
			}
			return nil
		}
	}
	// The lines are read and decoded from the warehouse on a goroutine of their own, a batch
	// ahead of the one being written: the reading was a fifth of the export's time.
	read := func(ctx context.Context, put func([]transform.Line) error) error {
		batch := make([]transform.Line, 0, readAhead)
		for l, err := range r.e.ledger.LedgerLines(ctx, r.p.From, r.p.To) {
			if err != nil {
				return fmt.Errorf("read ledger lines: %w", err)
			}
			if batch = append(batch, l); len(batch) == readAhead {
				if err := put(batch); err != nil {
					return err
				}
				batch = make([]transform.Line, 0, readAhead) // the writers may hold on to lines of the last
			}
		}
		if len(batch) == 0 {
			return nil
		}
		return put(batch)
	}
	if err := handoff.Fan(ctx, read, each(toWorkbook), each(toFiles)); err != nil {
		return Manifest{}, err
	}
	bank, sum := agg.Finish()
	if err := r.bankRows(bank); err != nil {
		return Manifest{}, err
	}
	if roll != nil {
		closing := roll.Balances()
		r.closing = &closing
	}
	if err := imports.flush(); err != nil { // the last entry: what it leaves out is listed below
		return Manifest{}, err
	}
	co, cardsCSV, err := r.cards(ctx, spend)
	if err != nil {
		return Manifest{}, err
	}
	if err := r.wb.VATReturn(vat.Finish()); err != nil {
		return Manifest{}, err
	}

	// The exceptions enter the data fingerprint: a changed reason is a changed export.
	excHash := sha256.New()
	exceptions := 0
	for x, err := range r.e.ledger.Exceptions(ctx, r.p.From, r.p.To) {
		if err != nil {
			return Manifest{}, fmt.Errorf("read exceptions: %w", err)
		}
		exceptions++
		fmt.Fprintf(excHash, "%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1e", x.SourceType, x.SourceID, x.EntryID,
			x.OccurredAt.UTC().Format(time.RFC3339Nano), x.Kind, x.Reason)
		if err := r.wb.Exception(&x); err != nil {
			return Manifest{}, err
		}
	}
	// Entries an import file left out are exceptions of the export itself: listed in the
	// workbook (and the manifest), not part of the ledger's exceptions nor of the data
	// fingerprint, which the files' own hashes already cover.
	for _, n := range imports.notExported {
		x := transform.Exception{EntryID: n.EntryID, Period: label, OccurredAt: n.Date,
			Kind: KindNotExported, Reason: n.File + ": " + n.Reason}
		if err := r.wb.Exception(&x); err != nil {
			return Manifest{}, err
		}
	}

	var files []ManifestFile
	if generic {
		for _, c := range []struct {
			o *out
			w csvWriter
		}{{jo, journal}, {ao, adjustments}, {co, cardsCSV}} {
			f, err := c.o.closeCSV(c.w)
			if err != nil {
				return Manifest{}, err
			}
			files = append(files, f)
		}
	}

	importFiles, err := imports.finish()
	if err != nil {
		return Manifest{}, err
	}
	files = append(files, importFiles...)

	generated := r.e.cfg.Now().UTC()
	wo, err := r.create(WorkbookName(label), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	if err != nil {
		return Manifest{}, err
	}
	info := xlsx.Info{Company: r.e.cfg.Company, Period: r.p, RunID: runID, GeneratedAt: generated}
	if _, err := r.wb.WriteTo(wo, info, sum); err != nil {
		return Manifest{}, err
	}
	wo.rows, _, _, _ = r.wb.Rows()
	wf, err := wo.finish()
	if err != nil {
		return Manifest{}, err
	}
	files = append(files, wf)
	slices.SortFunc(files, func(a, b ManifestFile) int { return strings.Compare(a.Name, b.Name) })

	m := newManifest(r.e.cfg.Company, r.p, runID, started, generated, files, sum, exceptions)
	m.Receipts = r.manifestReceipts(ctx)
	m.NotExported = imports.notExported
	m.ContentSHA256 = fingerprint(files, hex.EncodeToString(excHash.Sum(nil)))
	return m, nil
}

// cards writes the card spend of the period: cards_{period}.csv and the workbook's Cards and
// Card references sheets, with the cards described by the warehouse when it can.
func (r *run) cards(ctx context.Context, spend *report.CardSpend) (*out, *csvfmt.Cards, error) {
	var infos []transform.CardInfo
	if r.e.cards != nil {
		var err error
		if infos, err = r.e.cards.Cards(ctx); err != nil {
			return nil, nil, fmt.Errorf("read cards: %w", err)
		}
	}
	rows, refs := spend.Finish(infos)
	if err := r.wb.Cards(rows, refs); err != nil {
		return nil, nil, err
	}
	if !r.e.wants(TargetGeneric) {
		return nil, nil, nil
	}
	o, err := r.create(CardsName(r.p.Label), csvType)
	if err != nil {
		return nil, nil, err
	}
	w, err := csvfmt.NewCards(o)
	if err != nil {
		return nil, nil, err
	}
	for i := range rows {
		if err := w.Write(&rows[i]); err != nil {
			return nil, nil, fmt.Errorf("write %s: %w", o.name, err)
		}
	}
	return o, w, nil
}

// bankRows adds bank rows to the workbook's Bank transactions sheet. (The statement files
// are written per entry by importFiles, which knows what each movement paid for.)
func (r *run) bankRows(rows []report.BankRow) error {
	if len(rows) == 0 {
		return nil
	}
	return r.wb.Bank(rows)
}

// Receipt link modes (Config.ReceiptLinks).
const (
	ReceiptLinksRelative  = "relative"  // ../receipts/... from the period folder
	ReceiptLinksObject    = "object"    // the object's stable URL (needs read access to the bucket)
	ReceiptLinksPresigned = "presigned" // a presigned GET URL, valid for the sink's expiry
)

// wants reports whether target is among the configured targets.
func (e *Exporter) wants(target string) bool {
	if len(e.cfg.Targets) == 0 {
		return true
	}
	return slices.Contains(e.cfg.Targets, target)
}

// listReceipts lists the receipts folder once and keeps the objects of this period's
// expenses, grouped by expense: one request per page of the listing instead of one per
// expense, which on S3 is a LIST call each. It runs once every line has been read: the
// listing covers every receipt ever stored, hundreds of thousands for a busy business.
func (r *run) listReceipts(ctx context.Context) {
	if r.listed || len(r.withReceipts) == 0 {
		return
	}
	r.listed = true
	objs, err := r.e.sink.List(ctx, sink.ReceiptsFolder)
	if err != nil {
		r.e.log.WarnContext(ctx, "receipt links unavailable", slog.Any("error", err))
	}
	for _, o := range objs {
		expense, _, ok := strings.Cut(strings.TrimPrefix(o.Key, sink.ReceiptsFolder), "/")
		if ok && r.withReceipts[expense] {
			r.receipts[expense] = append(r.receipts[expense], o)
		}
	}
}

// receiptLinker finds each receipt in the sink and returns its link as seen from the
// workbook in {period}/. Relative links ("../receipts/...") work in a folder and in a whole
// downloaded export; the sink's link (a presigned or a stable object URL on S3) works for
// the workbook downloaded alone. A receipt that is not stored (yet) is listed by id without a
// link.
func (r *run) receiptLinker(ctx context.Context) func(expenseID, receiptID string) string {
	return func(expenseID, receiptID string) string {
		r.listReceipts(ctx)
		want := sink.ReceiptPrefix(expenseID) + receiptID + "."
		for _, o := range r.receipts[expenseID] {
			if strings.HasPrefix(o.Key, want) {
				if r.e.cfg.ReceiptLinks == ReceiptLinksRelative {
					return "../" + o.Key
				}
				link := r.e.sink.Link(o.Key)
				if link != "" && !strings.Contains(link, "://") {
					link = "../" + link
				}
				return link
			}
		}
		return ""
	}
}

// manifestReceipts lists the stored receipts of the period's expenses, by key.
func (r *run) manifestReceipts(ctx context.Context) []ManifestReceipt {
	r.listReceipts(ctx)
	var out []ManifestReceipt
	for _, objs := range r.receipts {
		for _, o := range objs {
			out = append(out, ManifestReceipt{Key: o.Key, Size: o.Size, SHA256: o.SHA256})
		}
	}
	slices.SortFunc(out, func(a, b ManifestReceipt) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// fingerprint hashes the data the CSV files carry and the exceptions: equal data, equal
// fingerprint, whatever the run.
func fingerprint(files []ManifestFile, exceptions string) string {
	h := sha256.New()
	for _, f := range files {
		if path.Ext(f.Name) == ".csv" {
			fmt.Fprintf(h, "%s %s\n", f.Name, f.SHA256)
		}
	}
	fmt.Fprintf(h, "exceptions %s\n", exceptions)
	return hex.EncodeToString(h.Sum(nil))
}

// held returns the check publish makes before each file: lock.Held, or nothing without a lock.
func held(lock Holder) func(ctx context.Context, what string) error {
	return func(ctx context.Context, what string) error {
		if lock == nil {
			return nil
		}
		if err := lock.Held(ctx); err != nil {
			return fmt.Errorf("run lock not held before publishing %s: %w", what, err)
		}
		return nil
	}
}

// publish uploads the files, keeping the previous version first when the data changed, and
// the manifest last. check runs before each file is published.
func (e *Exporter) publish(ctx context.Context, label, dir string, m Manifest, check func(ctx context.Context, what string) error) (archived string, err error) {
	prev, found, err := e.previous(ctx, label)
	if err != nil {
		return "", err
	}
	current := map[string]bool{}
	for _, f := range m.Files {
		current[f.Name] = true
	}
	if found && prev.ContentSHA256 != m.ContentSHA256 && prev.RunID != "" {
		archived = label + "/history/" + prev.RunID
		for _, f := range append(prev.Files, ManifestFile{Name: ManifestName}) {
			if err := check(ctx, label+"/"+f.Name); err != nil {
				return "", err
			}
			if err := e.sink.Copy(ctx, label+"/"+f.Name, archived+"/"+f.Name); err != nil && !errors.Is(err, sink.ErrNotFound) {
				return "", fmt.Errorf("keep previous version: %w", err)
			}
		}
	}
	for _, f := range m.Files {
		if err := check(ctx, label+"/"+f.Name); err != nil {
			return "", err
		}
		if err := e.upload(ctx, label, dir, f); err != nil {
			return "", err
		}
	}
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode manifest: %w", err)
	}
	if err := check(ctx, label+"/"+ManifestName); err != nil {
		return "", err
	}
	if _, err := e.sink.Put(ctx, label+"/"+ManifestName, strings.NewReader(string(body)+"\n"), sink.Meta{ContentType: "application/json"}); err != nil {
		return "", fmt.Errorf("upload manifest: %w", err)
	}
	// Files of the previous version that this one no longer has (an account without lines
	// this time) would otherwise sit beside the new manifest as if current.
	if found {
		for _, f := range prev.Files {
			if !current[f.Name] {
				if err := check(ctx, label+"/"+f.Name); err != nil {
					return "", err
				}
				if err := e.sink.Delete(ctx, label+"/"+f.Name); err != nil {
					return "", fmt.Errorf("remove stale %s: %w", f.Name, err)
				}
			}
		}
	}
	return archived, nil
}

func (e *Exporter) upload(ctx context.Context, label, dir string, f ManifestFile) error {
	fh, err := os.Open(filepath.Join(dir, f.Name))
	if err != nil {
		return fmt.Errorf("upload %s: %w", f.Name, err)
	}
	defer fh.Close()
	info, err := e.sink.Put(ctx, label+"/"+f.Name, fh, sink.Meta{ContentType: f.ContentType})
	if err != nil {
		return fmt.Errorf("upload %s: %w", f.Name, err)
	}
	if info.SHA256 != "" && info.SHA256 != f.SHA256 {
		return fmt.Errorf("upload %s: stored SHA-256 %s differs from the file's %s", f.Name, info.SHA256, f.SHA256)
	}
	return nil
}

func (e *Exporter) previous(ctx context.Context, label string) (Manifest, bool, error) {
	rc, err := e.sink.Get(ctx, label+"/"+ManifestName)
	if errors.Is(err, sink.ErrNotFound) {
		return Manifest{}, false, nil
	}
	if err != nil {
		return Manifest{}, false, fmt.Errorf("read previous manifest: %w", err)
	}
	defer rc.Close()
	var m Manifest
	if err := json.NewDecoder(rc).Decode(&m); err != nil {
		// An unreadable manifest cannot say what to keep; keeping nothing would lose data
		// silently, so stop and say so.
		return Manifest{}, false, fmt.Errorf("read previous manifest %s/%s: %w", label, ManifestName, err)
	}
	return m, true, nil
}
