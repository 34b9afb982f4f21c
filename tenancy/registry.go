package tenancy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/load"
	"github.com/revledger/revledger/ratelimit"
)

// Errors callers act on.
var (
	// ErrNotFound: no business has that slug.
	ErrNotFound = errors.New("tenancy: no such business")
	// ErrExists: Add was given a slug that is taken.
	ErrExists = errors.New("tenancy: a business with that slug exists")
	// ErrInvalid wraps every validation failure of Add and SetState: the input is the
	// caller's to fix, nothing was written.
	ErrInvalid = errors.New("tenancy: invalid business")
	// ErrBusy: Delete found a run of the business holding its run lock.
	ErrBusy = errors.New("tenancy: a run of this business is in progress")
)

// Secret fields, as stored in business_secrets.field (and bound into each ciphertext).
const (
	fieldPrivateKey   = "private_key"
	fieldRefreshToken = "refresh_token"
)

// Registry is the table of businesses and their encrypted credentials, on a pool of the one
// database that holds the control schema and every business's schema.
type Registry struct {
	pool *pgxpool.Pool
	dsn  string // the pool's connection string, for the businesses' stores
	mu   sync.RWMutex
	keys *Keyring
}

// NewRegistry returns a registry on pool sealing and opening secrets with keys. keys may be
// nil for a caller that never touches secrets (list, status); the secret methods then fail.
func NewRegistry(pool *pgxpool.Pool, keys *Keyring) *Registry {
	return &Registry{pool: pool, dsn: pool.Config().ConnString(), keys: keys}
}

func (r *Registry) keyring() (*Keyring, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.keys == nil {
		return nil, errors.New("tenancy: no secret key: " + keyHowTo)
	}
	return r.keys, nil
}

const businessColumns = `id, slug, name, time_zone, base_currency, export_url, api_url, client_id, issuer,
	schedule, state, chart_overrides, created_at`

func scanBusiness(row pgx.Row) (Business, error) {
	var b Business
	var chart []byte
	err := row.Scan(&b.ID, &b.Slug, &b.Name, &b.TimeZone, &b.BaseCurrency, &b.ExportURL, &b.APIURL, &b.ClientID,
		&b.Issuer, &b.Schedule, &b.State, &chart, &b.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Business{}, ErrNotFound
	}
	if err != nil {
		return Business{}, fmt.Errorf("tenancy: read business: %w", err)
	}
	if chart != nil {
		b.ChartOverrides = json.RawMessage(chart)
	}
	return b, nil
}

// Add validates b (after filling the defaults of its empty optional fields), checks that
// privateKeyPEM is an RSA private key, stores the business with the key sealed, and creates
// and migrates its warehouse schema. ID, State and CreatedAt of b are ignored (a new business
// is active). It returns the stored business. A validation failure wraps ErrInvalid, a taken
// slug is ErrExists; neither writes anything.
//
// The warehouse schema is migrated after the business row commits: if that fails the
// business exists and OpenStore (which migrates too) completes it on first use.
func (r *Registry) Add(ctx context.Context, b Business, privateKeyPEM []byte) (Business, error) {
	keys, err := r.keyring()
	if err != nil {
		return Business{}, err
	}
	b.State = StateActive
	b = b.WithDefaults()
	if err := b.Validate(); err != nil {
		return Business{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if _, err := revolut.ParsePrivateKey(privateKeyPEM); err != nil {
		// ParsePrivateKey's errors never quote the key.
		return Business{}, fmt.Errorf("%w: private key: %w", ErrInvalid, err)
	}
	var chart any
	if len(b.ChartOverrides) > 0 {
		chart = string(b.ChartOverrides)
	}
	err = pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		row := tx.QueryRow(ctx, `INSERT INTO revledger.businesses
			(slug, name, time_zone, base_currency, export_url, api_url, client_id, issuer, schedule, state, chart_overrides)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb)
			RETURNING `+businessColumns,
			b.Slug, b.Name, b.TimeZone, b.BaseCurrency, b.ExportURL, b.APIURL, b.ClientID, b.Issuer, b.Schedule, b.State, chart)
		stored, err := scanBusiness(row)
		if err != nil {
			return err
		}
		b = stored
		return putSecret(ctx, tx, keys, b.ID, fieldPrivateKey, privateKeyPEM)
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return Business{}, fmt.Errorf("%w: %s", ErrExists, b.Slug)
	}
	if err != nil {
		return Business{}, fmt.Errorf("tenancy: add %s: %w", b.Slug, err)
	}
	store, err := r.OpenStore(ctx, b, load.Options{MaxConns: 2})
	if err != nil {
		return b, fmt.Errorf("tenancy: add %s: the business is registered but its warehouse schema %s is not ready (it is completed on first use): %w", b.Slug, b.Schema(), err)
	}
	store.Close()
	return b, nil
}

// putSecret seals plain for (businessID, field) and upserts it.
func putSecret(ctx context.Context, tx pgx.Tx, keys *Keyring, businessID int64, field string, plain []byte) error {
	keyID, sealed, err := keys.seal(businessID, field, plain)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO revledger.business_secrets (business_id, field, key_id, ciphertext)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (business_id, field) DO UPDATE SET key_id = EXCLUDED.key_id, ciphertext = EXCLUDED.ciphertext, updated_at = now()`,
		businessID, field, keyID, sealed)
	if err != nil {
		return fmt.Errorf("store %s: %w", field, err)
	}
	return nil
}

// Get returns the business with that slug, or ErrNotFound.
func (r *Registry) Get(ctx context.Context, slug string) (Business, error) {
	return scanBusiness(r.pool.QueryRow(ctx, "SELECT "+businessColumns+" FROM revledger.businesses WHERE slug = $1", slug))
}

// List returns every business, by slug.
func (r *Registry) List(ctx context.Context) ([]Business, error) {
	rows, err := r.pool.Query(ctx, "SELECT "+businessColumns+" FROM revledger.businesses ORDER BY slug")
	if err != nil {
		return nil, fmt.Errorf("tenancy: list businesses: %w", err)
	}
	defer rows.Close()
	var out []Business
	for rows.Next() {
		b, err := scanBusiness(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("tenancy: list businesses: %w", err)
	}
	return out, nil
}

// SetState pauses (StatePaused) or resumes (StateActive) a business.
func (r *Registry) SetState(ctx context.Context, slug, state string) error {
	if state != StateActive && state != StatePaused {
		return fmt.Errorf("%w: state %q must be %s or %s", ErrInvalid, state, StateActive, StatePaused)
	}
	tag, err := r.pool.Exec(ctx, "UPDATE revledger.businesses SET state = $2 WHERE slug = $1", slug, state)
	if err != nil {
		return fmt.Errorf("tenancy: set state of %s: %w", slug, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// Delete removes a business for good: its warehouse schema (DROP SCHEMA ... CASCADE), its
// secrets, its rate-limiter state and its row, in one transaction. It first takes the
// business's run lock (without waiting), so that it never drops the tables under a run:
// ErrBusy if a run holds it.
func (r *Registry) Delete(ctx context.Context, slug string) error {
	b, err := r.Get(ctx, slug)
	if err != nil {
		return err
	}
	store, err := load.Open(ctx, r.dsn, load.Options{Schema: b.Schema(), MaxConns: 1})
	if err != nil {
		return fmt.Errorf("tenancy: delete %s: %w", slug, err)
	}
	defer store.Close()
	writer, err := store.AcquireRunLock(ctx, false)
	if errors.Is(err, load.ErrLocked) {
		return fmt.Errorf("%w: %s (wait for it to finish, or pause the business first)", ErrBusy, slug)
	}
	if err != nil {
		return fmt.Errorf("tenancy: delete %s: %w", slug, err)
	}
	defer func() { _ = writer.Release(context.WithoutCancel(ctx)) }()
	err = pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, "SELECT id FROM revledger.businesses WHERE slug = $1 FOR UPDATE", slug).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{b.Schema()}.Sanitize()+" CASCADE"); err != nil {
			return fmt.Errorf("drop schema %s: %w", b.Schema(), err)
		}
		if err := ratelimit.Forget(ctx, tx, ControlSchema, id); err != nil {
			return err
		}
		// business_secrets go with the row (ON DELETE CASCADE).
		_, err = tx.Exec(ctx, "DELETE FROM revledger.businesses WHERE id = $1", id)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return err
	}
	if err != nil {
		return fmt.Errorf("tenancy: delete %s: %w", slug, err)
	}
	return nil
}

// Credentials returns the business's decrypted secrets. The private key is always there;
// the refresh token is empty until SaveRefreshToken. Errors never contain a secret.
func (r *Registry) Credentials(ctx context.Context, slug string) (Credentials, error) {
	keys, err := r.keyring()
	if err != nil {
		return Credentials{}, err
	}
	rows, err := r.pool.Query(ctx, `SELECT b.id, s.field, s.key_id, s.ciphertext
		FROM revledger.businesses b LEFT JOIN revledger.business_secrets s ON s.business_id = b.id
		WHERE b.slug = $1`, slug)
	if err != nil {
		return Credentials{}, fmt.Errorf("tenancy: credentials of %s: %w", slug, err)
	}
	defer rows.Close()
	var creds Credentials
	found := false
	for rows.Next() {
		found = true
		var id int64
		var field, keyID *string
		var sealed []byte
		if err := rows.Scan(&id, &field, &keyID, &sealed); err != nil {
			return Credentials{}, fmt.Errorf("tenancy: credentials of %s: %w", slug, err)
		}
		if field == nil {
			continue
		}
		plain, err := keys.open(id, *field, *keyID, sealed)
		if err != nil {
			return Credentials{}, fmt.Errorf("tenancy: %s of %s: %w", *field, slug, err)
		}
		switch *field {
		case fieldPrivateKey:
			creds.PrivateKeyPEM = plain
		case fieldRefreshToken:
			creds.RefreshToken = string(plain)
		}
	}
	if err := rows.Err(); err != nil {
		return Credentials{}, fmt.Errorf("tenancy: credentials of %s: %w", slug, err)
	}
	if !found {
		return Credentials{}, ErrNotFound
	}
	if len(creds.PrivateKeyPEM) == 0 {
		return Credentials{}, fmt.Errorf("tenancy: %s has no private key stored; delete and add it again with --key-file", slug)
	}
	return creds, nil
}

// SaveRefreshToken seals and stores the business's refresh token (the first code exchange,
// or a rotation the token endpoint sent).
func (r *Registry) SaveRefreshToken(ctx context.Context, slug, token string) error {
	keys, err := r.keyring()
	if err != nil {
		return err
	}
	if token == "" {
		return fmt.Errorf("%w: empty refresh token", ErrInvalid)
	}
	return pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, "SELECT id FROM revledger.businesses WHERE slug = $1 FOR SHARE", slug).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("tenancy: save refresh token of %s: %w", slug, err)
		}
		if err := putSecret(ctx, tx, keys, id, fieldRefreshToken, []byte(token)); err != nil {
			return fmt.Errorf("tenancy: save refresh token of %s: %w", slug, err)
		}
		return nil
	})
}

// RotateKey re-seals every stored secret with next's current key, in one transaction, and
// returns how many it re-sealed. Secrets are opened with the registry's keyring (which must
// hold every key in use). From then on the registry seals with next's current key and still
// opens with its previous keys, so it keeps working whatever other processes still write
// until they are restarted with the new key (docs/MULTI-BUSINESS.md, "Rotating the key").
func (r *Registry) RotateKey(ctx context.Context, next *Keyring) (int, error) {
	keys, err := r.keyring()
	if err != nil {
		return 0, err
	}
	if next == nil {
		return 0, errors.New("tenancy: rotate key: no new key")
	}
	n := 0
	err = pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT s.business_id, b.slug, s.field, s.key_id, s.ciphertext
			FROM revledger.business_secrets s JOIN revledger.businesses b ON b.id = s.business_id
			ORDER BY s.business_id, s.field FOR UPDATE OF s`)
		if err != nil {
			return err
		}
		type secret struct {
			id    int64
			slug  string
			field string
			plain []byte
		}
		var all []secret
		for rows.Next() {
			var s secret
			var keyID string
			var sealed []byte
			if err := rows.Scan(&s.id, &s.slug, &s.field, &keyID, &sealed); err != nil {
				rows.Close()
				return err
			}
			if s.plain, err = keys.open(s.id, s.field, keyID, sealed); err != nil {
				rows.Close()
				return fmt.Errorf("%s of %s: %w", s.field, s.slug, err)
			}
			all = append(all, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, s := range all {
			if err := putSecret(ctx, tx, next, s.id, s.field, s.plain); err != nil {
				return err
			}
		}
		n = len(all)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("tenancy: rotate key (nothing was changed): %w", err)
	}
	r.mu.Lock()
	r.keys = next.withOld(keys)
	r.mu.Unlock()
	return n, nil
}

// OpenStore opens the business's warehouse (load.Open on the registry's database with
// opts.Schema = b.Schema()) and migrates it, creating the schema on first use.
func (r *Registry) OpenStore(ctx context.Context, b Business, opts load.Options) (*load.Store, error) {
	if b.Slug == "" || !slugPattern.MatchString(b.Slug) {
		return nil, fmt.Errorf("%w: slug %q", ErrInvalid, b.Slug)
	}
	opts.Schema = b.Schema()
	start := time.Now()
	store, err := load.Open(ctx, r.dsn, opts)
	if err != nil {
		return nil, fmt.Errorf("tenancy: open warehouse of %s: %w", b.Slug, err)
	}
	if err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, fmt.Errorf("tenancy: migrate warehouse of %s: %w", b.Slug, err)
	}
	if opts.Logger != nil {
		opts.Logger.DebugContext(ctx, "business warehouse ready", "business", b.Slug, "schema", b.Schema(), "took", time.Since(start))
	}
	return store, nil
}
