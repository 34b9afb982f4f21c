package pipeline

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"strings"
	"time"

	"github.com/revledger/revledger/exporters"
	"github.com/revledger/revledger/extract"
	"github.com/revledger/revledger/extract/rates"
	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/load"
	"github.com/revledger/revledger/sink"
	"github.com/revledger/revledger/transform"
)

// API is the part of the Revolut client a run uses. *revolut.Client satisfies it. The lists
// are extraction's (extract.Client: one small interface per stream, declared where each is
// read); the pipeline itself only proves the credentials, downloads receipts and reads the
// client's counters.
type API interface {
	extract.Client
	// Authenticate makes sure a valid access token is at hand (refreshing it if needed).
	Authenticate(ctx context.Context) (time.Time, error)
	ReceiptContent(ctx context.Context, expenseID, receiptID string) (*revolut.Receipt, error)
	Stats() revolut.Stats
}

// Warehouse is the part of the warehouse a run uses: the run history, the reads, and the run
// lock, whose holder (Writer) makes every write. *load.Store satisfies it.
type Warehouse interface {
	// AcquireRunLock takes the run lock (load.ErrLocked when another run holds it and wait is
	// false) and returns the writer that holds it.
	AcquireRunLock(ctx context.Context, wait bool) (*load.Writer, error)
	StartRun(ctx context.Context, kind load.RunKind, from, to time.Time) (load.RunID, error)
	FinishRun(ctx context.Context, id load.RunID, o load.Outcome) error
	RecordExport(ctx context.Context, runID load.RunID, period string, files []load.ExportedFile) error

	Checkpoint(ctx context.Context, stream string) (time.Time, bool, error)
	TransactionsToRecheck(ctx context.Context, createdBefore, pendingSince, completedSince time.Time) ([]string, error)
	OldestExpenseDate(ctx context.Context) (time.Time, bool, error)
	UnstoredReceipts(ctx context.Context, present func(objectKey, sha256 string) bool) ([]load.ReceiptRef, int, error)
	Settings(ctx context.Context) (load.Settings, error)
	PendingTransactions(ctx context.Context) iter.Seq2[load.TransactionToBook, error]
	PendingExpenses(ctx context.Context) iter.Seq2[revolut.Expense, error]
	// Transactions lets refunds be booked as the mirrors of their originals (see book.go).
	Transactions(ctx context.Context, ids []string) (map[string]load.TransactionToBook, error)
	ChangedPeriods(ctx context.Context, runID load.RunID) ([]string, error)
	// The stored exchange rates booking reads, and where it stores new ones (rates.go).
	RateStore
	// RevaluationBalances gives the month-end balances of the foreign bank accounts that
	// the month-end revaluation revalues (revalue.go).
	RevaluationBalances(ctx context.Context, accounts []transform.RevaluedAccount, until time.Time) ([]transform.MonthBalance, error)
}

// Writer is what a run writes through while it holds the run lock. *load.Writer satisfies
// it; every write fails with load.ErrLockLost once the lock is gone.
type Writer interface {
	LoadBatch(ctx context.Context, b load.Batch) (load.BatchStats, error)
	// FlagRelatedForBooking and WriteBookings: see book.go.
	FlagRelatedForBooking(ctx context.Context) (int64, error)
	FlagMissingRatesForBooking(ctx context.Context) (int64, error)
	FlagUnvaluedForBooking(ctx context.Context) (int64, error)
	WriteBookings(ctx context.Context, runID load.RunID, bookings []load.SourceBooking) (load.WriteStats, error)
	// ClosePeriod closes a period after its export (see run.export).
	ClosePeriod(ctx context.Context, period, by, how string, runID load.RunID) (bool, error)
	QuarantineStored(ctx context.Context, runID load.RunID, bad []*load.DecodeError) (int, error)
	AbandonStaleRuns(ctx context.Context, current load.RunID) (int, error)
	// Held is checked by the exporters before each file is published.
	Held(ctx context.Context) error
	Release(ctx context.Context) error
}

// Exporter writes the files of periods from the warehouse. *exporters.Exporter satisfies it.
type Exporter interface {
	// Sequence starts exports of periods in date order from a ledger that does not change
	// until the last of them; its ExportHolding checks that lock is still held before each
	// file is published.
	Sequence() *exporters.Sequence
}

// ExportedPeriod is what an export of one period wrote.
type ExportedPeriod struct {
	Period   string
	Workbook string   // the workbook's key under the export root, e.g. 2026-10/revledger_2026-10.xlsx
	Files    []string // every file written, as keys under the export root
	Lines    int64    // journal lines exported
	Archived string   // where the previous, different version was kept, if any
}

// Config shapes runs. Zero values take the documented defaults.
type Config struct {
	// Location is the business's time zone: booking dates and month chunks. Default UTC.
	Location *time.Location
	// Chart is the chart-of-accounts mapping. Default transform.DefaultChart().
	Chart transform.Chart
	// BaseCurrency is the currency of the books: every ledger line gets its value in it.
	// Default the chart's VAT base currency, else GBP.
	BaseCurrency string
	// Rates is the exchange-rate publisher (extract/rates) for the currencies a transaction's
	// own amounts do not value; its rates are stored in fx_rates and fetched once. nil means
	// none: only base-currency, exchange and bill rates, other foreign entries are booked
	// without base values (missing_fx_rate exceptions). With a source, the entries booked
	// without a rate are booked again on every run until their rate exists. The publishers
	// remember a month they have not published for their life: give each run's pipeline a
	// fresh source (cmd/revledger does).
	Rates rates.Source
	// RevalueMonthEnd books, after booking, the month-end revaluation of every foreign-
	// currency bank account for each complete month (config fx.revalue; revalue.go). Off by
	// default: the revaluation is optional.
	RevalueMonthEnd bool
	// TransactionsLookback re-reads transactions this far before the checkpoint. Default 30 days.
	TransactionsLookback time.Duration
	// ExpensesWindow is how far back every sync re-reads expenses. Default 180 days.
	ExpensesWindow time.Duration
	// InitialHistory is how far back the first sync reaches. Default 365 days.
	InitialHistory time.Duration
	// PendingRecheck is how long after its creation a pending transaction that the look-back
	// no longer lists is re-read by id (extract.LateChanges). Default 60 days.
	PendingRecheck time.Duration
	// ExpensesFullRefresh is how often a sync reads every stored expense's date range, not only
	// ExpensesWindow. Default 7 days.
	ExpensesFullRefresh time.Duration
	// ChunkDays splits windows into chunks committed one by one; 0 means calendar months.
	ChunkDays int
	// FlushRecords is how many records are loaded per transaction within a chunk. The
	// checkpoint moves only with a chunk's last flush. Default 5000.
	FlushRecords int
	// BookBatch is how many sources are booked per transaction. Default 2000.
	BookBatch int
	// WaitForLock makes a run wait for another to finish instead of returning ErrLocked.
	WaitForLock bool
	// PlausiblePastYears and PlausibleFutureDays bound the dates a record may carry to be
	// booked: [now − years, now + days). Others are exceptions, never periods. Default
	// transform.DefaultPlausiblePastYears and DefaultPlausibleFutureDays.
	PlausiblePastYears, PlausibleFutureDays int
	// CloseOnExport closes a period by its first export made at least CloseGraceDays days after
	// its end (config close.grace_days, default 5). Off in the zero Config, so that a pipeline
	// built without it (tests, tools) never closes a period by surprise; cmd/revledger turns it on.
	CloseOnExport  bool
	CloseGraceDays int
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// OnProgress receives progress events; nil ignores them.
	OnProgress func(Progress)
	// Logger receives the run's logs. Default discards.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.Chart.Suspense == "" {
		c.Chart = transform.DefaultChart()
	}
	c.BaseCurrency = strings.ToUpper(strings.TrimSpace(c.BaseCurrency))
	if c.BaseCurrency == "" {
		c.BaseCurrency = c.Chart.VAT.WithDefaults().BaseCurrency
	}
	if c.TransactionsLookback == 0 {
		c.TransactionsLookback = extract.DefaultTransactionsLookback
	}
	if c.ExpensesWindow == 0 {
		c.ExpensesWindow = extract.DefaultExpensesWindow
	}
	if c.InitialHistory == 0 {
		c.InitialHistory = extract.DefaultInitialHistory
	}
	if c.PendingRecheck == 0 {
		c.PendingRecheck = extract.DefaultPendingRecheck
	}
	if c.ExpensesFullRefresh == 0 {
		c.ExpensesFullRefresh = extract.DefaultExpensesFullRefresh
	}
	if c.FlushRecords == 0 {
		c.FlushRecords = 5000
	}
	if c.BookBatch == 0 {
		c.BookBatch = 2000
	}
	if c.PlausiblePastYears == 0 {
		c.PlausiblePastYears = transform.DefaultPlausiblePastYears
	}
	if c.PlausibleFutureDays == 0 {
		c.PlausibleFutureDays = transform.DefaultPlausibleFutureDays
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.OnProgress == nil {
		c.OnProgress = func(Progress) {}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func (c Config) validate() error {
	var errs []error
	if c.TransactionsLookback < 0 || c.ExpensesWindow < 0 || c.InitialHistory < 0 || c.ChunkDays < 0 ||
		c.PendingRecheck < 0 || c.ExpensesFullRefresh < 0 {
		errs = append(errs, errors.New("pipeline: windows and chunk sizes must not be negative"))
	}
	if err := c.Chart.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("pipeline: chart: %w", err))
	}
	if !transform.IsCurrencyCode(c.BaseCurrency) {
		errs = append(errs, fmt.Errorf("pipeline: base currency %q is not an ISO 4217 code", c.BaseCurrency))
	}
	return errors.Join(errs...)
}

// ErrLocked is returned when another run holds the run lock and Config.WaitForLock is false.
// It is load.ErrLocked itself, passed on untranslated.
var ErrLocked = load.ErrLocked

// Pipeline runs syncs, backfills and exports.
type Pipeline struct {
	// wrapWriter, when set (by tests, export_test.go), wraps each run's writer.
	wrapWriter func(Writer) Writer

	cfg      Config
	api      API
	wh       Warehouse
	receipts ReceiptStore
	exporter Exporter
}

// ReceiptStore is where receipt files go: the export sink (sink.Dir and sink.S3 satisfy it).
type ReceiptStore interface {
	sink.Putter
	sink.Lister
}

// New builds a pipeline. api and receipts may be nil for a pipeline that only exports;
// receipts is where receipt files go (the export sink).
func New(cfg Config, api API, wh Warehouse, receipts ReceiptStore, exporter Exporter) (*Pipeline, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if wh == nil || exporter == nil {
		return nil, errors.New("pipeline: a warehouse and an exporter are required")
	}
	return &Pipeline{cfg: cfg, api: api, wh: wh, receipts: receipts, exporter: exporter}, nil
}

// extractOptions is how the configuration cuts windows into batches.
func (c Config) extractOptions() extract.Options {
	return extract.Options{Chunking: extract.Chunking{Location: c.Location, Days: c.ChunkDays}, Size: c.FlushRecords}
}

// policy is the extraction policy the configuration sets.
func (c Config) policy() extract.Policy {
	return extract.Policy{TransactionsLookback: c.TransactionsLookback, ExpensesWindow: c.ExpensesWindow, InitialHistory: c.InitialHistory}
}
