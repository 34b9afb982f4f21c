-- 0001_init: the warehouse.
--
-- Raw tables keep every Revolut record as received (raw jsonb, canonicalised by jsonb) with
-- typed columns for what gets queried, keyed by the Revolut id. source_hash is sha256 of the
-- canonical jsonb text; a record is rewritten only when it changes, and a changed transaction
-- or expense is flagged needs_booking until the booker has written its entries.
--
-- The ledger is append-only and versioned per journal entry: entries is the head (current
-- version per entry), entry_versions the history, ledger_rows the lines of every version.

-- raw_hash is the source_hash of a raw record: sha256 of its canonical jsonb text (keys sorted
-- and deduplicated, whitespace normalised by jsonb), so the key order or spacing the API happens
-- to send never looks like a change. Declared IMMUTABLE (jsonb's text form is deterministic) so
-- staging tables can compute it as a generated column, once per row, during COPY.
CREATE FUNCTION raw_hash(raw jsonb) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT sha256(textsend(raw::text)) $$;

CREATE TABLE runs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text        NOT NULL,
    window_from  timestamptz,
    window_to    timestamptz,
    status       text        NOT NULL DEFAULT 'running',
    counts       jsonb       NOT NULL DEFAULT '{}',
    api_requests bigint      NOT NULL DEFAULT 0,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    error        text,
    CONSTRAINT runs_window CHECK (window_from IS NULL OR window_to IS NULL OR window_from <= window_to),
    CONSTRAINT runs_finished CHECK ((status = 'running') = (finished_at IS NULL))
);

CREATE TABLE sync_state (
    stream      text PRIMARY KEY,
    checkpoint  timestamptz NOT NULL,
    window_from timestamptz,
    window_to   timestamptz,
    run_id      bigint REFERENCES runs (id),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------------------------
-- Raw tables. Common columns: id, raw, source_hash, first_seen_at, last_seen_at (when the
-- content was last written: unchanged records are not rewritten), run_id (run that last wrote it).
-- Raw tables accept what the API sends (no currency format checks here: a surprise value must
-- not stop a sync); the ledger is where the strict checks live.

CREATE TABLE accounts (
    id            text PRIMARY KEY,
    name          text,
    currency      text        NOT NULL,
    state         text        NOT NULL,
    balance       numeric     NOT NULL,
    public        boolean     NOT NULL,
    created_at    timestamptz,
    updated_at    timestamptz,
    raw           jsonb       NOT NULL,
    source_hash   bytea       NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    run_id        bigint
);

CREATE TABLE transactions (
    id                     text PRIMARY KEY,
    type                   text        NOT NULL,
    state                  text        NOT NULL,
    request_id             text,
    reason_code            text,
    created_at             timestamptz,
    updated_at             timestamptz,
    completed_at           timestamptz,
    related_transaction_id text,
    merchant_name          text,
    card_id                text,
    reference              text,
    raw                    jsonb       NOT NULL,
    source_hash            bytea       NOT NULL,
    first_seen_at          timestamptz NOT NULL DEFAULT now(),
    last_seen_at           timestamptz NOT NULL DEFAULT now(),
    run_id                 bigint,
    needs_booking          boolean     NOT NULL DEFAULT true
);
CREATE INDEX transactions_needs_booking ON transactions (id) WHERE needs_booking;

CREATE TABLE transaction_legs (
    transaction_id text    NOT NULL, -- no FK: written only by the merge, with its parent
    leg_index      integer NOT NULL,
    leg_id         text,
    account_id     text,
    amount         numeric NOT NULL,
    fee            numeric,
    currency       text    NOT NULL,
    bill_amount    numeric,
    bill_currency  text,
    balance        numeric,
    counterparty_account_type text,
    description    text,
    PRIMARY KEY (transaction_id, leg_index)
);

CREATE TABLE expenses (
    id               text PRIMARY KEY,
    state            text        NOT NULL,
    transaction_type text        NOT NULL,
    transaction_id   text,
    expense_date     timestamptz,
    submitted_at     timestamptz,
    completed_at     timestamptz,
    spent_amount     numeric,
    spent_currency   text,
    payer            text,
    merchant         text,
    description      text,
    receipt_ids      text[]      NOT NULL DEFAULT '{}',
    raw              jsonb       NOT NULL,
    source_hash      bytea       NOT NULL,
    first_seen_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at     timestamptz NOT NULL DEFAULT now(),
    run_id           bigint,
    needs_booking    boolean     NOT NULL DEFAULT true
);
CREATE INDEX expenses_transaction_id ON expenses (transaction_id);
CREATE INDEX expenses_needs_booking ON expenses (id) WHERE needs_booking;

CREATE TABLE expense_splits (
    expense_id       text    NOT NULL, -- no FK: written only by the merge, with its parent
    split_index      integer NOT NULL,
    amount           numeric NOT NULL,
    currency         text    NOT NULL,
    category_id      text,
    category_code    text,
    category_name    text,
    tax_rate_id      text,
    tax_rate_name    text,
    tax_rate_percent numeric,
    PRIMARY KEY (expense_id, split_index)
);
CREATE INDEX expense_splits_category ON expense_splits (category_id);
CREATE INDEX expense_splits_tax_rate ON expense_splits (tax_rate_id);

-- Receipt files are stored in the object store; only their metadata lives here.
CREATE TABLE receipts (
    expense_id   text        NOT NULL,
    receipt_id   text        NOT NULL,
    content_type text        NOT NULL,
    size         bigint      NOT NULL CHECK (size >= 0),
    sha256       text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    object_key   text        NOT NULL,
    stored_at    timestamptz NOT NULL DEFAULT now(),
    run_id       bigint,
    PRIMARY KEY (expense_id, receipt_id)
);

CREATE TABLE accounting_categories (
    id                  text PRIMARY KEY,
    name                text        NOT NULL,
    code                text,
    default_tax_rate_id text,
    created_at          timestamptz,
    updated_at          timestamptz,
    raw                 jsonb       NOT NULL,
    source_hash         bytea       NOT NULL,
    first_seen_at       timestamptz NOT NULL DEFAULT now(),
    last_seen_at        timestamptz NOT NULL DEFAULT now(),
    run_id              bigint
);

CREATE TABLE tax_rates (
    id            text PRIMARY KEY,
    name          text        NOT NULL,
    percentage    numeric,
    created_at    timestamptz,
    updated_at    timestamptz,
    raw           jsonb       NOT NULL,
    source_hash   bytea       NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    run_id        bigint
);

CREATE TABLE label_groups (
    id            text PRIMARY KEY,
    name          text        NOT NULL,
    created_at    timestamptz,
    updated_at    timestamptz,
    raw           jsonb       NOT NULL,
    source_hash   bytea       NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    run_id        bigint
);

CREATE TABLE labels (
    id            text PRIMARY KEY,
    group_id      text,
    name          text        NOT NULL,
    created_at    timestamptz,
    updated_at    timestamptz,
    raw           jsonb       NOT NULL,
    source_hash   bytea       NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    run_id        bigint
);
CREATE INDEX labels_group ON labels (group_id);

CREATE TABLE cards (
    id            text PRIMARY KEY,
    holder_id     text,
    state         text        NOT NULL,
    last_digits   text,
    label         text,
    virtual       boolean     NOT NULL,
    created_at    timestamptz,
    updated_at    timestamptz,
    raw           jsonb       NOT NULL,
    source_hash   bytea       NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    run_id        bigint
);

CREATE TABLE team_members (
    id            text PRIMARY KEY,
    email         text,
    first_name    text,
    last_name     text,
    state         text        NOT NULL,
    role_id       text,
    created_at    timestamptz,
    updated_at    timestamptz,
    raw           jsonb       NOT NULL,
    source_hash   bytea       NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    run_id        bigint
);

CREATE TABLE counterparties (
    id            text PRIMARY KEY,
    name          text        NOT NULL,
    state         text        NOT NULL,
    profile_type  text,
    country       text,
    created_at    timestamptz,
    updated_at    timestamptz,
    raw           jsonb       NOT NULL,
    source_hash   bytea       NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    run_id        bigint
);

-- A record that could not be parsed or stored. raw is text: it may not even be JSON. A re-run
-- that meets the same bytes again only bumps last_seen_at.
CREATE TABLE quarantine (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream        text        NOT NULL,
    source_id     text,
    reason        text        NOT NULL,
    raw           text        NOT NULL,
    raw_hash      bytea       NOT NULL,
    run_id        bigint REFERENCES runs (id),
    last_run_id   bigint REFERENCES runs (id),
    times_seen    integer     NOT NULL DEFAULT 1,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT quarantine_once UNIQUE (stream, raw_hash)
);

-- ---------------------------------------------------------------------------------------------
-- Ledger.

-- entries is the head of every journal entry: its current version and that version's hash.
CREATE TABLE entries (
    entry_id        text PRIMARY KEY,
    source_type     text        NOT NULL CHECK (source_type IN ('transaction', 'expense')),
    source_id       text        NOT NULL,
    current_version integer     NOT NULL CHECK (current_version >= 1),
    lines_hash      bytea,
    tombstone       boolean     NOT NULL,
    period          text        NOT NULL CHECK (period ~ '^[0-9]{4}-[0-9]{2}$'),
    run_id          bigint      NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT entries_tombstone_hash CHECK (tombstone = (lines_hash IS NULL))
) WITH (fillfactor = 80); -- room for HOT updates: every re-booked entry moves its head
CREATE INDEX entries_source ON entries (source_type, source_id);
CREATE INDEX entries_period ON entries (period) WHERE NOT tombstone;

-- entry_versions is the history: one row per version ever written. A tombstone is a version
-- with no lines: the source no longer produces this entry (e.g. the transaction was declined).
--
-- The ledger tables carry no row-level foreign keys: an RI check is a trigger per row, and
-- entry_versions and ledger_rows get 10^5 rows per bulk write. They are written only together,
-- set-based, by one transaction (load.WriteBookings); that ledger lines belong to an existing,
-- non-tombstone entry version is checked set-based at commit with the balance (below).
CREATE TABLE entry_versions (
    entry_id          text        NOT NULL,
    version           integer     NOT NULL CHECK (version >= 1),
    run_id            bigint      NOT NULL,
    lines_hash        bytea,
    period            text        NOT NULL CHECK (period ~ '^[0-9]{4}-[0-9]{2}$'),
    tombstone         boolean     NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    valid_to          timestamptz,
    superseded_by_run bigint,
    PRIMARY KEY (entry_id, version),
    CONSTRAINT entry_versions_tombstone_hash CHECK (tombstone = (lines_hash IS NULL)),
    CONSTRAINT entry_versions_superseded CHECK ((valid_to IS NULL) = (superseded_by_run IS NULL))
) WITH (fillfactor = 80); -- room for HOT updates: closing a version sets valid_to in place
CREATE INDEX entry_versions_run ON entry_versions (run_id);

CREATE TABLE ledger_rows (
    entry_id               text        NOT NULL,
    version                integer     NOT NULL,
    line_key               text        NOT NULL,
    source_type            text        NOT NULL CHECK (source_type IN ('transaction', 'expense')),
    source_id              text        NOT NULL,
    line_index             integer     NOT NULL,
    role                   text        NOT NULL,
    run_id                 bigint      NOT NULL,
    booking_date           date        NOT NULL,
    occurred_at            timestamptz NOT NULL,
    period                 text        NOT NULL CHECK (period ~ '^[0-9]{4}-[0-9]{2}$'),
    account_code           text        NOT NULL CHECK (account_code <> ''),
    account_name           text,
    amount                 numeric     NOT NULL,
    currency               char(3)     NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    original_amount        numeric,
    original_currency      char(3) CHECK (original_currency ~ '^[A-Z]{3}$'),
    net                    numeric,
    tax                    numeric,
    gross                  numeric,
    tax_rate_id            text,
    tax_rate_name          text,
    tax_rate_percent       numeric,
    category_id            text,
    category_code          text,
    category_name          text,
    labels                 jsonb,
    counterparty           text,
    merchant               text,
    description            text,
    reference              text,
    transaction_id         text,
    transaction_type       text,
    transaction_state      text,
    related_transaction_id text,
    expense_id             text,
    expense_state          text,
    receipt_ids            text[],
    revolut_account_id     text,
    bank_balance           numeric,
    card_id                text,
    card_last_digits       text,
    card_holder            text,
    card_references        jsonb,
    -- Versions are per entry, so a line is identified within its entry version; the line key
    -- embeds the source, and (entry_id, version) is also the lookup path of the balance check.
    PRIMARY KEY (entry_id, version, line_key),
    CONSTRAINT ledger_rows_vat CHECK (net IS NULL OR tax IS NULL OR gross IS NULL OR net + tax = gross)
);
CREATE INDEX ledger_rows_booking_date ON ledger_rows (booking_date);

-- The ledger is append-only: history is kept by versions, never by rewriting rows.
CREATE FUNCTION ledger_rows_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_rows is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER ledger_rows_no_update BEFORE UPDATE OR DELETE ON ledger_rows
    FOR EACH ROW EXECUTE FUNCTION ledger_rows_append_only();
CREATE TRIGGER ledger_rows_no_truncate BEFORE TRUNCATE ON ledger_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_rows_append_only();

-- Balance check at commit, set-based. A constraint trigger must be FOR EACH ROW; firing one per
-- ledger row (100k lines: 100k checks) would cost more than writing the lines. Instead a
-- statement trigger queues, as one row of ledger_balance_queue, the per (entry_id, version,
-- currency) sums of the rows the statement inserted, and a DEFERRABLE INITIALLY DEFERRED
-- constraint trigger on that queue checks at commit that the transaction's queued sums are zero.
--
-- Summing only the rows inserted by this transaction is enough: rows are never updated or
-- deleted, and every committed entry version balanced when it was committed (by induction on
-- this very check), so the version stays balanced iff what this transaction added to it
-- balances. Queue rows never outlive their transaction (the check deletes them), so the queue
-- a transaction sees is its own.
CREATE TABLE ledger_balance_queue (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_ids  text[]    NOT NULL,
    versions   integer[] NOT NULL,
    currencies text[]    NOT NULL,
    sums       numeric[] NOT NULL
);

CREATE FUNCTION ledger_rows_enqueue_balance_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger_balance_queue (entry_ids, versions, currencies, sums)
    SELECT array_agg(entry_id), array_agg(version), array_agg(currency), array_agg(total)
    FROM (SELECT entry_id, version, currency::text AS currency, sum(amount) AS total
          FROM new_rows GROUP BY entry_id, version, currency) AS touched
    HAVING count(*) > 0;
    RETURN NULL;
END
$$;
CREATE TRIGGER ledger_rows_balance_enqueue AFTER INSERT ON ledger_rows
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_rows_enqueue_balance_check();

CREATE FUNCTION ledger_check_balance() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    -- The first queued row checked at commit checks (and removes) all of them.
    IF NOT EXISTS (SELECT 1 FROM ledger_balance_queue WHERE id = NEW.id) THEN
        RETURN NULL;
    END IF;
    SELECT t.entry_id, t.version, t.currency, sum(t.total) AS total
    INTO bad
    FROM ledger_balance_queue q,
         unnest(q.entry_ids, q.versions, q.currencies, q.sums) AS t (entry_id, version, currency, total)
    GROUP BY t.entry_id, t.version, t.currency
    HAVING sum(t.total) <> 0
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'entry % version % does not balance in %: lines sum to %',
            bad.entry_id, bad.version, bad.currency, bad.total
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_balanced';
    END IF;
    SELECT t.entry_id, t.version INTO bad
    FROM (SELECT DISTINCT t.entry_id, t.version
          FROM ledger_balance_queue q, unnest(q.entry_ids, q.versions) AS t (entry_id, version)) AS t
    LEFT JOIN entry_versions v ON v.entry_id = t.entry_id AND v.version = t.version
    WHERE v.entry_id IS NULL OR v.tombstone
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger lines for entry % version %, which is not a recorded entry version (or is a tombstone)',
            bad.entry_id, bad.version
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'ledger_rows_entry_version';
    END IF;
    DELETE FROM ledger_balance_queue;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_balance_queue
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_balance();

-- ledger_current: the latest version of every entry that still exists.
CREATE VIEW ledger_current AS
SELECT r.*
FROM ledger_rows r
JOIN entries e ON e.entry_id = r.entry_id AND e.current_version = r.version
WHERE NOT e.tombstone;

-- Exceptions belong to the booking of a source (owner_type/owner_id; the exception itself may
-- name another record, e.g. an ignored expense). When a source is booked again and its set of
-- exceptions differs, the current ones are kept with cleared_by_run and the new ones written.
CREATE TABLE exceptions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id         bigint      NOT NULL REFERENCES runs (id),
    owner_type     text        NOT NULL,
    owner_id       text        NOT NULL,
    source_type    text        NOT NULL,
    source_id      text        NOT NULL,
    entry_id       text,
    period         text        NOT NULL,
    occurred_at    timestamptz,
    kind           text        NOT NULL,
    reason         text        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    cleared_by_run bigint REFERENCES runs (id)
);
CREATE INDEX exceptions_current_owner ON exceptions (owner_type, owner_id) WHERE cleared_by_run IS NULL;
CREATE INDEX exceptions_current_period ON exceptions (period) WHERE cleared_by_run IS NULL;

-- ---------------------------------------------------------------------------------------------
-- Exports: which files a run wrote for a period, and which entry versions they contained, so a
-- later change to an exported entry can be shown as an adjustment.

CREATE TABLE exports (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id      bigint      NOT NULL REFERENCES runs (id),
    period      text        NOT NULL CHECK (period ~ '^[0-9]{4}-[0-9]{2}$'),
    exported_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX exports_period ON exports (period, exported_at);

CREATE TABLE export_files (
    export_id bigint NOT NULL REFERENCES exports (id),
    file      text   NOT NULL,
    sha256    text   NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size      bigint NOT NULL CHECK (size >= 0),
    rows      bigint NOT NULL CHECK (rows >= 0),
    PRIMARY KEY (export_id, file)
);

CREATE TABLE export_entries (
    export_id bigint  NOT NULL REFERENCES exports (id),
    entry_id  text    NOT NULL,
    version   integer NOT NULL,
    PRIMARY KEY (export_id, entry_id),
    FOREIGN KEY (entry_id, version) REFERENCES entry_versions (entry_id, version)
);
