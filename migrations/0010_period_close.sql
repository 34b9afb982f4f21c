-- 0010_period_close: periods are closed once exported (or by command), and a later change to
-- an entry of a closed period is booked as an adjustment entry in the first open period.
--
-- periods holds each period's current state; a period with no row is open. period_events is
-- the history of every close and reopen, with who, when, how and why: a closed period's files
-- were handed to an accountant, so reopening one is an event somebody must answer for.
--
-- ledger_rows gains the four fields a line of an adjustment entry carries (transform.Line's
-- AdjustsEntryID, AdjustsVersion, AdjustsPeriod, AdjustmentReason): the entry version, in a
-- closed period, that the adjustment reverses or replaces, that version's period, and why.
-- They are NULL on ordinary lines.

CREATE TABLE periods (
    period     text        PRIMARY KEY CHECK (period ~ '^[0-9]{4}-[0-9]{2}$'),
    state      text        NOT NULL CHECK (state IN ('open', 'closed')),
    closed_at  timestamptz,
    closed_by  text,
    closed_how text CHECK (closed_how IN ('export', 'command')),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT periods_closed CHECK ((state = 'closed') = (closed_at IS NOT NULL AND closed_by IS NOT NULL AND closed_how IS NOT NULL))
);

CREATE TABLE period_events (
    id     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    period text        NOT NULL CHECK (period ~ '^[0-9]{4}-[0-9]{2}$'),
    action text        NOT NULL CHECK (action IN ('close', 'reopen')),
    how    text        NOT NULL CHECK (how IN ('export', 'command')),
    actor  text        NOT NULL CHECK (actor <> ''),
    reason text,
    run_id bigint REFERENCES runs (id),
    at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT period_events_reopen_reason CHECK (action <> 'reopen' OR coalesce(reason, '') <> '')
);
CREATE INDEX period_events_period ON period_events (period, at);

ALTER TABLE ledger_rows
    ADD COLUMN adjusts_entry_id  text,
    ADD COLUMN adjusts_version   integer,
    ADD COLUMN adjusts_period    text CHECK (adjusts_period ~ '^[0-9]{4}-[0-9]{2}$'),
    ADD COLUMN adjustment_reason text;

-- r.* is expanded when the view is created: rebuilt so the view has the new columns.
CREATE OR REPLACE VIEW ledger_current AS
SELECT r.*
FROM ledger_rows r
JOIN entries e ON e.entry_id = r.entry_id AND e.current_version = r.version
WHERE NOT e.tombstone;
