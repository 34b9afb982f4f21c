-- 0006_settings_history: tax rates and accounting categories as they were over time.
--
-- A booking uses the tax rate and the category in force on its tax point (a transaction's
-- completed_at, an expense's date), not whatever the settings say today: a rate that changes
-- from 20% to 5% must not re-book last year's purchases at 5%. Every content change of a
-- tax_rates or accounting_categories row (load's merge) closes the version in force
-- (valid_to) and opens a new one. A new version is in force from the record's updated_at,
-- Revolut's own time of the change (else from when it was seen); the first version seen of a
-- setting has no valid_from, so it covers everything before it: it is the best knowledge of
-- what held then. Intervals are half-open [valid_from, valid_to), NULL meaning unbounded.

CREATE TABLE tax_rate_history (
    id         text        NOT NULL,
    valid_from timestamptz,
    valid_to   timestamptz,
    name       text        NOT NULL,
    percentage numeric,
    raw        jsonb       NOT NULL,
    seen_at    timestamptz NOT NULL DEFAULT now(),
    run_id     bigint
);
CREATE UNIQUE INDEX tax_rate_history_in_force ON tax_rate_history (id) WHERE valid_to IS NULL;
CREATE INDEX tax_rate_history_id ON tax_rate_history (id, valid_from);

CREATE TABLE accounting_category_history (
    id                  text        NOT NULL,
    valid_from          timestamptz,
    valid_to            timestamptz,
    name                text        NOT NULL,
    code                text,
    default_tax_rate_id text,
    raw                 jsonb       NOT NULL,
    seen_at             timestamptz NOT NULL DEFAULT now(),
    run_id              bigint
);
CREATE UNIQUE INDEX accounting_category_history_in_force ON accounting_category_history (id) WHERE valid_to IS NULL;
CREATE INDEX accounting_category_history_id ON accounting_category_history (id, valid_from);

-- What the warehouse holds now is the first version of each.
INSERT INTO tax_rate_history (id, name, percentage, raw, seen_at, run_id)
SELECT id, name, percentage, raw, first_seen_at, run_id FROM tax_rates;
INSERT INTO accounting_category_history (id, name, code, default_tax_rate_id, raw, seen_at, run_id)
SELECT id, name, code, default_tax_rate_id, raw, first_seen_at, run_id FROM accounting_categories;
