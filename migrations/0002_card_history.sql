-- 0002_card_history: cards in the books.
--
-- Ledger lines carry the card's label as a dimension next to its id, last digits and holder.
-- ledger_current is rebuilt because a view's r.* is expanded when the view is created: without
-- it the new column would not reach the exports. CREATE OR REPLACE may only add columns at the
-- end, which is where ALTER TABLE puts card_label.
ALTER TABLE ledger_rows ADD COLUMN card_label text;

CREATE OR REPLACE VIEW ledger_current AS
SELECT r.*
FROM ledger_rows r
JOIN entries e ON e.entry_id = r.entry_id AND e.current_version = r.version
WHERE NOT e.tombstone;

-- A card that the API no longer lists (terminated cards disappear from GET /cards) is kept and
-- marked by load.Store.MarkMissingCards, never deleted: old ledger lines still name it.
ALTER TABLE cards ADD COLUMN missing_since timestamptz;

-- card_versions is the history of every card: one row per distinct content (source_hash) in
-- the order seen, [seen_from, seen_to) being when the warehouse held that content as current.
-- The open version (seen_to IS NULL) is the card as it is now. It is written by the triggers
-- below in the same transaction as the cards merge, so history and head never disagree, and
-- the merge itself (load.LoadBatch) needs to know nothing about it.
CREATE TABLE card_versions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    card_id         text        NOT NULL,
    seen_from       timestamptz NOT NULL,
    seen_to         timestamptz,
    run_id          bigint,
    label           text,
    state           text        NOT NULL,
    spending_limits jsonb,
    card_references jsonb,
    raw             jsonb       NOT NULL,
    source_hash     bytea       NOT NULL,
    CONSTRAINT card_versions_seen CHECK (seen_to IS NULL OR seen_from <= seen_to)
);
CREATE UNIQUE INDEX card_versions_open ON card_versions (card_id) WHERE seen_to IS NULL;
CREATE INDEX card_versions_card ON card_versions (card_id, seen_from);

-- Cards loaded before this migration start their history when they were last written.
INSERT INTO card_versions (card_id, seen_from, run_id, label, state, spending_limits, card_references, raw, source_hash)
SELECT id, last_seen_at, run_id, label, state, raw -> 'spending_limits', raw -> 'references', raw, source_hash
FROM cards;

CREATE FUNCTION cards_record_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE card_versions SET seen_to = now() WHERE card_id = NEW.id AND seen_to IS NULL;
    INSERT INTO card_versions (card_id, seen_from, run_id, label, state, spending_limits, card_references, raw, source_hash)
    VALUES (NEW.id, now(), NEW.run_id, NEW.label, NEW.state, NEW.raw -> 'spending_limits', NEW.raw -> 'references',
            NEW.raw, NEW.source_hash);
    RETURN NULL;
END
$$;
CREATE TRIGGER cards_version_insert AFTER INSERT ON cards
    FOR EACH ROW EXECUTE FUNCTION cards_record_version();
-- Only a change of content is a version: marking a card missing (or seen again) is not.
CREATE TRIGGER cards_version_update AFTER UPDATE OF source_hash ON cards
    FOR EACH ROW WHEN (OLD.source_hash IS DISTINCT FROM NEW.source_hash)
    EXECUTE FUNCTION cards_record_version();
