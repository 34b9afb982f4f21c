package tenancy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/sink"
	"github.com/revledger/revledger/transform"
)

// Business is one client business of the firm running revledger.
type Business struct {
	ID           int64
	Slug         string // ^[a-z][a-z0-9-]{1,39}$, names the schema and the CLI argument
	Name         string
	TimeZone     string // IANA zone of its booking dates and its schedule, default Europe/London
	BaseCurrency string // ISO 4217 code of its books, default GBP
	ExportURL    string // s3://bucket/prefix, file:///path or a folder; default exports/<slug>
	// APIURL is the Revolut API base URL (default revolut.ProductionURL); tests point it at a
	// fake.
	APIURL           string
	ClientID, Issuer string
	// Schedule is the cron spec of the nightly sync (5 fields, robfig/cron's standard syntax
	// as cmd/revledger schedule uses), in TimeZone. Default "0 2 * * *".
	Schedule string
	State    string // StateActive or StatePaused
	// ChartOverrides is an optional chart of accounts override, the same shape as the config
	// file's chart section (snake_case keys), as a JSON object; nil means the default chart.
	ChartOverrides json.RawMessage
	CreatedAt      time.Time
}

// Business states.
const (
	StateActive = "active" // synced on its schedule
	StatePaused = "paused" // kept, not synced
)

// Defaults for the fields Add fills when they are empty.
const (
	DefaultTimeZone     = "Europe/London"
	DefaultBaseCurrency = "GBP"
	DefaultSchedule     = "0 2 * * *"
)

// SchemaPrefix starts the name of every business's warehouse schema.
const SchemaPrefix = "biz_"

var slugPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{1,39}$`)

// Schema is the PostgreSQL schema of the business's warehouse: biz_ and the slug with '-' as
// '_'. Slugs have no '_', so two slugs never share a schema.
func (b Business) Schema() string {
	return SchemaPrefix + strings.ReplaceAll(b.Slug, "-", "_")
}

// Location is the business's time zone.
func (b Business) Location() (*time.Location, error) {
	loc, err := time.LoadLocation(b.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("time zone %q is not an IANA time zone (e.g. Europe/London)", b.TimeZone)
	}
	return loc, nil
}

// Chart is the business's chart of accounts: transform's defaults with ChartOverrides over
// them.
func (b Business) Chart() (transform.Chart, error) {
	var c transform.Chart
	if len(bytes.TrimSpace(b.ChartOverrides)) > 0 && string(bytes.TrimSpace(b.ChartOverrides)) != "null" {
		// JSON is YAML: decoding with the config file's decoder keeps one set of key names.
		dec := yaml.NewDecoder(bytes.NewReader(b.ChartOverrides))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil {
			return transform.Chart{}, fmt.Errorf("chart overrides: %w", err)
		}
	}
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return transform.Chart{}, fmt.Errorf("chart overrides: %w", err)
	}
	return c, nil
}

// WithDefaults fills the optional fields left empty: the values Add stores.
func (b Business) WithDefaults() Business {
	if b.TimeZone == "" {
		b.TimeZone = DefaultTimeZone
	}
	if b.BaseCurrency == "" {
		b.BaseCurrency = DefaultBaseCurrency
	}
	if b.ExportURL == "" {
		b.ExportURL = "exports/" + b.Slug
	}
	if b.APIURL == "" {
		b.APIURL = revolut.ProductionURL
	}
	if b.Schedule == "" {
		b.Schedule = DefaultSchedule
	}
	if b.State == "" {
		b.State = StateActive
	}
	return b
}

// Validate reports every problem of b at once, each naming the field to fix.
func (b Business) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !slugPattern.MatchString(b.Slug) {
		bad("slug %q must be 2 to 40 characters: a lower-case letter, then lower-case letters, digits or '-'", b.Slug)
	}
	if strings.TrimSpace(b.Name) == "" {
		bad("name is required")
	}
	if _, err := b.Location(); err != nil {
		errs = append(errs, err)
	}
	if !transform.IsCurrencyCode(b.BaseCurrency) {
		bad("base currency %q is not an ISO 4217 code such as GBP", b.BaseCurrency)
	}
	if _, err := sink.ParseURL(b.ExportURL); err != nil {
		errs = append(errs, err)
	}
	if u, err := url.Parse(b.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad("API URL %q must be an absolute http(s) URL such as %s", b.APIURL, revolut.ProductionURL)
	}
	if strings.TrimSpace(b.ClientID) == "" {
		bad("client ID is required (the client_id shown for the business's API certificate)")
	}
	if b.Issuer == "" {
		bad("issuer is required (the host of the certificate's redirect URI)")
	} else if strings.Contains(b.Issuer, "://") || strings.ContainsAny(b.Issuer, "/?# ") {
		bad("issuer %q must be a bare host (the redirect URI's host only), without scheme or path", b.Issuer)
	}
	if _, err := cron.ParseStandard(b.Schedule); err != nil {
		bad("schedule %q is not a 5-field cron spec such as %q: %v", b.Schedule, DefaultSchedule, err)
	}
	if b.State != StateActive && b.State != StatePaused {
		bad("state %q must be %s or %s", b.State, StateActive, StatePaused)
	}
	if len(b.ChartOverrides) > 0 {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b.ChartOverrides, &obj); err != nil {
			bad("chart overrides must be a JSON object (the config file's chart section): %v", err)
		} else if _, err := b.Chart(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
