-- 0012_base_balance: an entry version whose lines all have a base amount (0011) must sum to
-- zero in base currency too, checked at commit like the per-currency balance.
--
-- The queue keeps its shape. The statement trigger adds, per (entry, version) of the inserted
-- rows, one more group with the marker 'base' in place of a currency (a marker, not a code:
-- currencies are three capital letters): its sum is the sum of base_amount when every row of
-- the group has one, else NULL. One GROUPING SETS pass computes both kinds of groups, so the
-- inserted rows are still read once. As for currencies, a group that sums to zero is queued
-- with a NULL marker and skipped at commit: balanced writes, the normal case, add nothing to
-- sum. A version's lines may arrive in several statements of its transaction; at commit its
-- base groups are summed across them, and the version is checked only when none of its groups
-- lacked a base amount (bool_and over the non-zero groups; a skipped zero group is complete by
-- construction and adds nothing). A version with any line lacking a base amount (a missing
-- rate: every line lacks one) is not checked in base currency.
--
-- These replace the latest definitions: the enqueue function of 0003 and the check of 0005.
CREATE OR REPLACE FUNCTION ledger_rows_enqueue_balance_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger_balance_queue (entry_ids, versions, currencies, sums)
    SELECT array_agg(entry_id), array_agg(version), array_agg(CASE WHEN total IS DISTINCT FROM 0 THEN currency END), array_agg(total)
    FROM (SELECT entry_id, version,
                 CASE WHEN grouping(currency) = 1 THEN 'base' ELSE currency::text END AS currency,
                 CASE WHEN grouping(currency) = 1
                      THEN CASE WHEN count(base_amount) = count(*) THEN sum(base_amount) END
                      ELSE sum(amount) END AS total
          FROM new_rows
          GROUP BY GROUPING SETS ((entry_id, version, currency), (entry_id, version))) AS touched
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
    WHERE NOT q.versions_recorded AND t.currency IS NOT NULL
    GROUP BY t.entry_id, t.version, t.currency
    HAVING bool_and(t.total IS NOT NULL) AND sum(t.total) <> 0
    LIMIT 1;
    IF FOUND THEN
        IF bad.currency = 'base' THEN
            RAISE EXCEPTION 'entry % version % does not balance in base currency: base amounts sum to %',
                bad.entry_id, bad.version, bad.total
                USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_balanced_base';
        END IF;
        RAISE EXCEPTION 'entry % version % does not balance in %: lines sum to %',
            bad.entry_id, bad.version, bad.currency, bad.total
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_balanced';
    END IF;
    SELECT d.entry_id, d.version INTO bad
    FROM (SELECT t.entry_id, t.version
          FROM ledger_balance_queue q, unnest(q.entry_ids, q.versions) AS t (entry_id, version)
          WHERE NOT q.versions_recorded
          EXCEPT
          SELECT t.entry_id, t.version
          FROM ledger_balance_queue q, unnest(q.entry_ids, q.versions) AS t (entry_id, version)
          WHERE q.versions_recorded) AS d
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger lines for entry % version %, which this transaction did not record as a live entry version (a version''s lines are written with it, once)',
            bad.entry_id, bad.version
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'ledger_rows_entry_version';
    END IF;
    DELETE FROM ledger_balance_queue;
    RETURN NULL;
END
$$;

-- The sources booked without a rate are booked again on every run until the rate exists
-- (load.Writer.FlagMissingRatesForBooking); this finds them without reading every current
-- exception.
CREATE INDEX exceptions_missing_fx_rate ON exceptions (source_type, source_id)
    WHERE cleared_by_run IS NULL AND kind = 'missing_fx_rate';
