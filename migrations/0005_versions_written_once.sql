-- 0005_versions_written_once: an entry version is written once, lines and all, and never
-- changed after; the commit check relies on that instead of looking every version up.
--
-- Until now the commit check looked up, in entry_versions' primary key, each entry version a
-- transaction wrote lines for (one index probe per version: 50,000 for a 100,000-line write,
-- a quarter of its commit). It also allowed lines to be added, later, to a version committed
-- long ago, as long as they balanced: history could grow after the fact. Now:
--
-- 1. A version's lines are written in the transaction that records the version. Inserting
--    entry_versions queues the versions a statement recorded (live ones: a tombstone has no
--    lines) in ledger_balance_queue, flagged versions_recorded; at commit, every entry version
--    the transaction wrote lines for must be among them. That is a set difference of two
--    queued lists, with no index probe.
-- 2. A recorded version does not change: its identity, content hash, period and tombstone
--    flag cannot be updated, and versions cannot be deleted. Only valid_to and
--    superseded_by_run, which close a version when the next one is written, can be set.
--
-- Together with ledger_rows being append-only (0001), a committed entry version's lines are
-- final, which is what the books need: a change is always a new version.

ALTER TABLE ledger_balance_queue ADD COLUMN versions_recorded boolean NOT NULL DEFAULT false;

CREATE FUNCTION entry_versions_enqueue_recorded() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger_balance_queue (entry_ids, versions, currencies, sums, versions_recorded)
    SELECT array_agg(entry_id), array_agg(version), '{}', '{}', true
    FROM new_rows
    WHERE NOT tombstone
    HAVING count(*) > 0;
    RETURN NULL;
END
$$;
CREATE TRIGGER entry_versions_enqueue_recorded AFTER INSERT ON entry_versions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION entry_versions_enqueue_recorded();

CREATE FUNCTION entry_versions_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'entry_versions: a recorded version does not change (% is not allowed; only valid_to and superseded_by_run are set, when the next version is written)', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;
-- UPDATE OF: fires only when one of these columns is a target of the UPDATE, so closing a
-- version costs nothing more.
CREATE TRIGGER entry_versions_no_change BEFORE UPDATE OF entry_id, version, run_id, lines_hash, period, tombstone, created_at
    ON entry_versions FOR EACH ROW EXECUTE FUNCTION entry_versions_immutable();
CREATE TRIGGER entry_versions_no_delete BEFORE DELETE OR TRUNCATE ON entry_versions
    FOR EACH STATEMENT EXECUTE FUNCTION entry_versions_immutable();

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
    HAVING sum(t.total) <> 0
    LIMIT 1;
    IF FOUND THEN
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
