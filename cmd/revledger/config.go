package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gopkg.in/yaml.v3"

	"github.com/revledger/revledger/exporters"
	"github.com/revledger/revledger/extract"
	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/schedules"
	"github.com/revledger/revledger/sink"
	"github.com/revledger/revledger/transform"
)

// Config is everything a revledger command can be told. It is assembled with this precedence:
// command-line flags, then environment variables, then the YAML file named by --config or
// REVLEDGER_CONFIG, then the defaults below (which make `revledger demo` work with nothing set).
type Config struct {
	// Company is shown on the workbook's Summary sheet.
	Company string `yaml:"company"`
	// TimeZone is the business's IANA time zone: booking dates and cron times use it.
	TimeZone string `yaml:"time_zone"`
	// DatabaseURL is the PostgreSQL connection string.
	DatabaseURL string `yaml:"database_url"`

	Revolut  RevolutConfig  `yaml:"revolut"`
	Export   ExportConfig   `yaml:"export"`
	Sync     SyncConfig     `yaml:"sync"`
	Schedule ScheduleConfig `yaml:"schedule"`
	Close    CloseConfig    `yaml:"close"`
	Worker   WorkerConfig   `yaml:"worker"` // revledger worker (worker.go)
	// FX is where exchange rates come from (fxconfig.go).
	FX FXConfig `yaml:"fx"`

	// Chart is the chart-of-accounts mapping; omitted parts take transform.DefaultChart's.
	Chart transform.Chart `yaml:"chart"`
	// VAT is how tax rates count for VAT and the VAT return (vatconfig.go).
	VAT VATConfig `yaml:"vat"`

	// Xero and QuickBooks shape the import files of those targets (exportconfig.go).
	Xero       XeroConfig       `yaml:"xero"`
	QuickBooks QuickBooksConfig `yaml:"quickbooks"`
}

// RevolutConfig is how to reach and authenticate with the Revolut Business API.
type RevolutConfig struct {
	// APIURL is the API base URL. Default production; the fake API's URL in tests and demo.
	APIURL string `yaml:"api_url"`
	// ClientID is the client id Revolut shows after the API certificate is uploaded.
	ClientID string `yaml:"client_id"`
	// PrivateKeyFile is the PEM file of the RSA key the certificate was made from. It must not
	// be readable by group or others.
	PrivateKeyFile string `yaml:"private_key_file"`
	// Issuer is the host of the redirect URI set for the API certificate (the JWT's iss).
	Issuer string `yaml:"issuer"`
	// RefreshToken, when set (REVOLUT_REFRESH_TOKEN), wins over the token file.
	RefreshToken string `yaml:"-"`
	// TokenFile is where `revledger auth exchange` stores the refresh token (mode 0600).
	TokenFile string `yaml:"token_file"`
	// RatePerMinute caps API requests per minute (Revolut's limit is 60).
	RatePerMinute int `yaml:"rate_per_minute"`
}

// ExportConfig says where exports go and how receipts are linked.
type ExportConfig struct {
	// URL is s3://bucket/prefix or file:///path (or a folder path; default a local "exports" folder).
	URL string `yaml:"url"`
	// ServerSideEncryption is "", "AES256" or "aws:kms" for S3 objects.
	ServerSideEncryption string `yaml:"server_side_encryption"`
	// KMSKeyID is the KMS key for "aws:kms".
	KMSKeyID string `yaml:"kms_key_id"`
	// ReceiptLinkBase, when set, prefixes receipt object keys to form the links in the
	// Expenses sheet (e.g. a CDN or portal that serves the bucket). Empty gives relative
	// links for a folder and, for S3, presigned links when PresignHours is set, else the
	// objects' plain URLs.
	ReceiptLinkBase string `yaml:"receipt_link_base"`
	// PresignHours makes S3 receipt links presigned GET URLs valid this long (at most 168).
	PresignHours int `yaml:"presign_hours"`
	// BaseCurrency is the currency of the books the Xero and QuickBooks journals go into:
	// its lines get the plain file names, every other currency files of its own.
	BaseCurrency string `yaml:"base_currency"`
	// Targets are the import targets to write: xero, quickbooks, generic (default all).
	Targets []string `yaml:"targets"`
	// ReceiptLinks is how the workbook links receipts: relative, object or presigned.
	// Default relative for a folder, presigned (PresignHours, default 168) for S3.
	ReceiptLinks string `yaml:"receipt_links"`
}

// SyncConfig shapes the nightly run and backfills.
type SyncConfig struct {
	// TransactionsLookbackDays re-reads this many days before the transactions checkpoint, so
	// that pending transactions that completed, were declined or reverted are caught.
	TransactionsLookbackDays int `yaml:"transactions_lookback_days"`
	// ExpensesWindowDays re-reads expenses over this many days: they have no updated_at and
	// their state and date change after the fact.
	ExpensesWindowDays int `yaml:"expenses_window_days"`
	// InitialHistoryDays is how far back the first sync reaches when nothing was synced yet.
	InitialHistoryDays int `yaml:"initial_history_days"`
	// PendingRecheckDays re-reads by id, every sync, transactions still pending that the
	// look-back no longer lists, until they are this many days old.
	PendingRecheckDays int `yaml:"pending_recheck_days"`
	// ExpensesFullRefreshDays reads every stored expense's date range, not only
	// expenses_window_days, once every this many days.
	ExpensesFullRefreshDays int `yaml:"expenses_full_refresh_days"`
	// ChunkDays splits backfills into chunks committed one by one (0 = calendar months).
	ChunkDays int `yaml:"chunk_days"`
	// PlausiblePastYears and PlausibleFutureDays bound the dates revledger believes: a record
	// dated outside [today − years, today + days) is an exception, never booked into a period,
	// and backfill and export ranges must lie within it.
	PlausiblePastYears  int `yaml:"plausible_past_years"`
	PlausibleFutureDays int `yaml:"plausible_future_days"`
}

// CloseConfig is when a month closes by itself (README "Closing a month").
type CloseConfig struct {
	// GraceDays: a month closes at its first export on or after its last day plus this many
	// days, which leaves time for late card settlements and expense approvals before the
	// month's files become final. 0 closes it at the first export after its end.
	GraceDays int `yaml:"grace_days"`
}

// maxCloseGraceDays bounds close.grace_days: a longer grace would leave a month open past
// its VAT return, which is what closing protects.
const maxCloseGraceDays = 60

// ScheduleConfig is the daemon's cron table and its HTTP endpoints.
type ScheduleConfig struct {
	// Address serves /healthz and /metrics.
	Address string `yaml:"address"`
	// Entries are the cron entries; default: sync at 02:00 daily, export of the previous
	// month at 04:00 on the 1st.
	Entries []ScheduleEntry `yaml:"entries"`
	// ShutdownGrace is how long a SIGTERM waits for the current chunk to commit.
	ShutdownGraceSeconds int `yaml:"shutdown_grace_seconds"`
}

// ScheduleEntry is one cron line.
type ScheduleEntry struct {
	Name string `yaml:"name"`
	// Cron is a standard 5-field cron expression, in the configured time zone.
	Cron string `yaml:"cron"`
	// Job is "sync" or "export-previous-month".
	Job string `yaml:"job"`
}

// defaultConfig is the configuration before the file, the environment and the flags. Its
// numbers are the packages' own defaults (what each package does with a zero value), named
// here so that the configuration shows and checks the values a run uses.
func defaultConfig() Config {
	days := func(d time.Duration) int { return int(d / (24 * time.Hour)) }
	return Config{
		Company:  "My company",
		TimeZone: "Europe/London",
		Revolut: RevolutConfig{
			APIURL:        revolut.ProductionURL,
			RatePerMinute: revolut.DefaultRatePerMinute,
			TokenFile:     defaultTokenFile(),
		},
		Export: ExportConfig{URL: "exports", BaseCurrency: exporters.DefaultBaseCurrency},
		Sync: SyncConfig{
			TransactionsLookbackDays: days(extract.DefaultTransactionsLookback),
			ExpensesWindowDays:       days(extract.DefaultExpensesWindow),
			InitialHistoryDays:       days(extract.DefaultInitialHistory),
			PlausiblePastYears:       transform.DefaultPlausiblePastYears,
			PlausibleFutureDays:      transform.DefaultPlausibleFutureDays,
			PendingRecheckDays:       days(extract.DefaultPendingRecheck),
			ExpensesFullRefreshDays:  days(extract.DefaultExpensesFullRefresh),
		},
		Schedule: ScheduleConfig{
			Address:              "127.0.0.1:9464",
			ShutdownGraceSeconds: int(schedules.DefaultGrace / time.Second),
			Entries: []ScheduleEntry{
				{Name: "nightly-sync", Cron: "0 2 * * *", Job: "sync"},
				{Name: "monthly-export", Cron: "0 4 1 * *", Job: "export-previous-month"},
			},
		},
		Close: CloseConfig{GraceDays: 5},
		FX:    defaultFXConfig(),
		Chart: transform.DefaultChart(),
	}
}

func defaultTokenFile() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ".revledger-token.json"
	}
	return filepath.Join(dir, "revledger", "token.json")
}

// loadFile merges the YAML file at path over cfg. Unknown keys are an error: a typo in a
// config file must not be silently ignored.
func loadFile(cfg *Config, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read config file: %w", err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

// applyEnv overrides cfg with the environment variables docs/DESIGN.md names. getenv is injected
// so tests do not touch the process environment.
func applyEnv(cfg *Config, getenv func(string) string) {
	set := func(dst *string, names ...string) {
		for _, n := range names {
			if v := getenv(n); v != "" {
				*dst = v
				return
			}
		}
	}
	set(&cfg.DatabaseURL, "REVLEDGER_DATABASE_URL", "DATABASE_URL")
	set(&cfg.Revolut.APIURL, "REVOLUT_API_URL")
	set(&cfg.Revolut.ClientID, "REVOLUT_CLIENT_ID")
	set(&cfg.Revolut.PrivateKeyFile, "REVOLUT_PRIVATE_KEY_FILE")
	set(&cfg.Revolut.Issuer, "REVOLUT_ISSUER")
	set(&cfg.Revolut.RefreshToken, "REVOLUT_REFRESH_TOKEN")
	set(&cfg.Export.URL, "REVLEDGER_EXPORT_URL")
}

// location returns the configured time zone.
func (c Config) location() (*time.Location, error) {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("time_zone %q is not an IANA time zone (e.g. Europe/London): %w", c.TimeZone, err)
	}
	return loc, nil
}

// validate checks what every command needs. API credentials are checked by validateAPI,
// only for the commands that call Revolut.
func (c Config) validate() error {
	var errs []error
	if _, err := c.location(); err != nil {
		errs = append(errs, err)
	}
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("no database: set REVLEDGER_DATABASE_URL (or DATABASE_URL, --database-url, database_url in the config file)"))
	} else if _, err := pgconn.ParseConfig(c.DatabaseURL); err != nil {
		// The URL may hold a password: say what is wrong without echoing it.
		errs = append(errs, errors.New("REVLEDGER_DATABASE_URL is not a valid PostgreSQL connection string: use postgres://user:password@host:5432/database (or key=value pairs)"))
	}
	if _, err := sink.ParseURL(c.Export.URL); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.Export.validate()...)
	if p, f := c.Sync.PlausiblePastYears, c.Sync.PlausibleFutureDays; p < 1 || p > 100 || f < 1 || f > 366 {
		errs = append(errs, fmt.Errorf("sync.plausible_past_years must be 1 to 100 (is %d) and sync.plausible_future_days 1 to 366 (is %d)", p, f))
	}
	if !transform.IsCurrencyCode(c.Export.BaseCurrency) {
		errs = append(errs, fmt.Errorf("export.base_currency %q is not an ISO 4217 code such as GBP", c.Export.BaseCurrency))
	}
	errs = append(errs, c.FX.validate(c.Export.BaseCurrency)...)
	if c.Sync.TransactionsLookbackDays < 0 || c.Sync.ExpensesWindowDays < 0 || c.Sync.InitialHistoryDays < 0 || c.Sync.ChunkDays < 0 ||
		c.Sync.PendingRecheckDays < 0 || c.Sync.ExpensesFullRefreshDays < 0 {
		errs = append(errs, errors.New("sync: day counts must not be negative"))
	}
	if g := c.Close.GraceDays; g < 0 || g > maxCloseGraceDays {
		errs = append(errs, fmt.Errorf("close.grace_days must be 0 to %d (is %d)", maxCloseGraceDays, g))
	}
	if err := c.Chart.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("chart: %w", err))
	}
	if err := c.VAT.validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// validate checks the export settings that only matter for S3, whatever the URL: a setting
// that would be rejected later must stop the run before anything is touched.
func (e ExportConfig) validate() []error {
	var errs []error
	switch e.ServerSideEncryption {
	case "", sink.SSEAES256:
		if e.KMSKeyID != "" {
			errs = append(errs, fmt.Errorf("export.kms_key_id needs export.server_side_encryption: %s", sink.SSEKMS))
		}
	case sink.SSEKMS:
	default:
		errs = append(errs, fmt.Errorf("export.server_side_encryption %q: use %s, %s or leave it empty for the bucket's default",
			e.ServerSideEncryption, sink.SSEAES256, sink.SSEKMS))
	}
	if e.PresignHours < 0 || e.PresignHours > 168 {
		errs = append(errs, fmt.Errorf("export.presign_hours %d: presigned links last 0 to 168 hours (7 days, S3's limit)", e.PresignHours))
	}
	if e.ReceiptLinkBase != "" {
		if u, err := url.Parse(e.ReceiptLinkBase); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("export.receipt_link_base %q is not an http(s) URL", e.ReceiptLinkBase))
		}
	}
	return errs
}

// plausible is the range of dates revledger believes at now (see SyncConfig).
func (c Config) plausible(now time.Time) transform.DateRange {
	return transform.PlausibleRange(now, c.Sync.PlausiblePastYears, c.Sync.PlausibleFutureDays)
}

// revolutSettings names the configuration behind each revolut.Config setting, for messages.
var revolutSettings = map[string]string{
	"BaseURL":       "REVOLUT_API_URL",
	"ClientID":      "REVOLUT_CLIENT_ID (shown in the Revolut Business web app under APIs after uploading the certificate)",
	"Issuer":        "REVOLUT_ISSUER (the host of the redirect URI configured for the API certificate)",
	"RatePerMinute": "revolut.rate_per_minute",
}

// validateAPI checks the Revolut settings of a command that calls the API, before the key
// file is read: the key file is this command's to name; the rest is revolut.Config's one
// check, each problem prefixed with the setting to fix.
func (c Config) validateAPI() error {
	var errs []error
	if c.Revolut.PrivateKeyFile == "" {
		errs = append(errs, errors.New("no private key: set REVOLUT_PRIVATE_KEY_FILE to the PEM file of the key the API certificate was made from"))
	}
	if err := c.revolutConfig(nil, "", nil, nil).CheckSettings(); err != nil {
		problems := []error{err}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			problems = j.Unwrap()
		}
		for _, p := range problems {
			var se *revolut.SettingError
			if errors.As(p, &se) && revolutSettings[se.Setting] != "" {
				p = fmt.Errorf("%s: %w", revolutSettings[se.Setting], p)
			}
			errs = append(errs, p)
		}
	}
	return errors.Join(errs...)
}
