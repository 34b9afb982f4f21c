package exporters

import (
	"time"

	"github.com/revledger/revledger/exporters/csvfmt"
	"github.com/revledger/revledger/exporters/report"
	"github.com/revledger/revledger/internal/period"
)

// Manifest is manifest.json: what a period folder holds and the figures to check it by.
type Manifest struct {
	Company     string    `json:"company,omitempty"`
	Period      string    `json:"period"`
	From        time.Time `json:"from"` // source window: booking dates in [from, to)
	To          time.Time `json:"to"`
	RunID       string    `json:"run_id"`
	StartedAt   time.Time `json:"started_at"`
	GeneratedAt time.Time `json:"generated_at"`
	// ContentSHA256 fingerprints the data (CSV hashes and exceptions), not the run: it
	// decides whether a re-export keeps the previous version in history.
	ContentSHA256 string          `json:"content_sha256"`
	Files         []ManifestFile  `json:"files"`
	Counts        ManifestCounts  `json:"counts"`
	Totals        []ManifestTotal `json:"control_totals"`
	Checks        []report.Check  `json:"checks"`
	// Receipts are the stored receipts of the period's expenses (keys from the export
	// root), so that a reader of the period folder alone knows what to fetch beside it.
	Receipts []ManifestReceipt `json:"receipts,omitempty"`
	// NotExported are the entries an import file left out: a foreign line without a base
	// amount cannot go to a file that books base currency.
	NotExported []ManifestNotExported `json:"not_exported,omitempty"`
}

// ManifestNotExported is an entry left out of an import file series (xero_journal,
// quickbooks_journal), and why.
type ManifestNotExported struct {
	File    string    `json:"file"`
	EntryID string    `json:"entry_id"`
	Date    time.Time `json:"date"`
	Reason  string    `json:"reason"`
}

// ManifestReceipt is one stored receipt: its key, size, and SHA-256 when the store knows it.
type ManifestReceipt struct {
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"`
}

// ManifestFile is one exported file. SHA256 is computed by the job over the whole file (an
// S3 multipart checksum is composite and would not match a local sha256sum).
type ManifestFile struct {
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	Rows        int    `json:"rows"` // data rows (CSV) or journal rows (workbook)
	ContentType string `json:"content_type"`
}

// ManifestCounts counts what the period holds.
type ManifestCounts struct {
	Lines      int `json:"ledger_lines"`
	Entries    int `json:"entries"`
	Splits     int `json:"expense_splits"`
	BankLines  int `json:"bank_lines"`
	Exceptions int `json:"exceptions"`
}

// ManifestTotal is the control total of one currency, amounts as exact decimal strings.
type ManifestTotal struct {
	Currency string `json:"currency"`
	Debit    string `json:"debit"`
	Credit   string `json:"credit"`
	Lines    int    `json:"lines"`
}

func newManifest(company string, p period.Period, runID string, started, generated time.Time,
	files []ManifestFile, sum report.Summary, exceptions int) Manifest {
	m := Manifest{
		Company: company, Period: p.Label, From: p.From.UTC(), To: p.To.UTC(), RunID: runID,
		StartedAt: started, GeneratedAt: generated, Files: files,
		Counts: ManifestCounts{Lines: sum.Lines, Entries: sum.Entries, Splits: sum.Splits, BankLines: sum.BankLines, Exceptions: exceptions},
		Checks: sum.Checks,
	}
	for _, t := range sum.Totals {
		m.Totals = append(m.Totals, ManifestTotal{
			Currency: t.Currency, Debit: csvfmt.Amount(t.Debit, t.Currency), Credit: csvfmt.Amount(t.Credit, t.Currency), Lines: t.Lines,
		})
	}
	return m
}
