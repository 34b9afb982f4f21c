-- 0003_bulk_write_cost: the same guarantees for less work per bulk write.
--
-- raw_source_hash is raw_hash written so that the planner can inline it: raw_hash is declared
-- IMMUTABLE over the STABLE textsend, which rules inlining out, and in a generated column of
-- the staging table (its only use) it ran as a SQL function call per row, several times the
-- cost of the hash itself. The merge computes the hash in its query with this one instead;
-- raw_hash stays, unchanged, for binaries that still stage with it. The two must agree:
-- hashes already stored were made by raw_hash (load's TestRawSourceHashIsRawHash).
CREATE FUNCTION raw_source_hash(raw jsonb) RETURNS bytea
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$ SELECT sha256(textsend(raw::text)) $$;

-- entry_versions_run served no query: ChangedPeriods compares run_id with the last export of
-- the version's period (an OR across a join), which an index on run_id cannot answer, and the
-- index cost every written entry version one more index insertion.
DROP INDEX entry_versions_run;

-- Queue rows never outlive their transaction (the commit check deletes them), so they need no
-- WAL: crash recovery empties an unlogged table, and the only rows it could hold then belong
-- to a transaction that did not commit.
ALTER TABLE ledger_balance_queue SET UNLOGGED;

-- A (entry, version, currency) group of the inserted rows that sums to zero changes no total,
-- so it is queued with a NULL currency: it still records that the entry version was touched
-- (for the check that lines belong to a recorded version), and the balance sums at commit skip
-- it. Balanced bulk writes, the normal case, then leave nothing to add up at commit.
CREATE OR REPLACE FUNCTION ledger_rows_enqueue_balance_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger_balance_queue (entry_ids, versions, currencies, sums)
    SELECT array_agg(entry_id), array_agg(version), array_agg(CASE WHEN total <> 0 THEN currency END), array_agg(total)
    FROM (SELECT entry_id, version, currency::text AS currency, sum(amount) AS total
          FROM new_rows GROUP BY entry_id, version, currency) AS touched
    HAVING count(*) > 0;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION ledger_check_balance() RETURNS trigger
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
    WHERE t.currency IS NOT NULL
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

-- The format checks of the ledger, without a regular expression per row: a regex match costs
-- about as much as an index insertion, and every line pays two or three. Each replacement
-- accepts exactly what the regex did. period ~ '^[0-9]{4}-[0-9]{2}$': seven bytes, a '-'
-- fifth, and nothing but that '-' left once the ASCII digits are removed (so the other six
-- are digits). currency ~ '^[A-Z]{3}$' (char(3), compared as text, so without trailing
-- spaces): three bytes, none of them left once A-Z are removed. NULL passes, as before.
ALTER TABLE ledger_rows
    DROP CONSTRAINT ledger_rows_period_check,
    DROP CONSTRAINT ledger_rows_currency_check,
    DROP CONSTRAINT ledger_rows_original_currency_check,
    ADD CONSTRAINT ledger_rows_period_check
        CHECK (octet_length(period) = 7 AND substr(period, 5, 1) = '-' AND translate(period, '0123456789', '') = '-'),
    ADD CONSTRAINT ledger_rows_currency_check
        CHECK (octet_length(currency::text) = 3 AND translate(currency::text, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '') = ''),
    ADD CONSTRAINT ledger_rows_original_currency_check
        CHECK (octet_length(original_currency::text) = 3
               AND translate(original_currency::text, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '') = '');
ALTER TABLE entries
    DROP CONSTRAINT entries_period_check,
    ADD CONSTRAINT entries_period_check
        CHECK (octet_length(period) = 7 AND substr(period, 5, 1) = '-' AND translate(period, '0123456789', '') = '-');
ALTER TABLE entry_versions
    DROP CONSTRAINT entry_versions_period_check,
    ADD CONSTRAINT entry_versions_period_check
        CHECK (octet_length(period) = 7 AND substr(period, 5, 1) = '-' AND translate(period, '0123456789', '') = '-');
