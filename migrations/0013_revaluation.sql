-- 0013_revaluation: month-end revaluation of foreign-currency bank balances, and the one-off
-- valuation of lines booked before base values existed.
--
-- A revaluation entry ("reval:<account id>:<YYYY-MM>", transform/revalue.go) is booked from the
-- ledger itself, not from a Revolut record: its source is the Revolut account
-- (source_type 'revaluation', source_id the account id). The checks of 0001 allowed only
-- transactions and expenses; they are widened, never narrowed, so every stored row still
-- satisfies them.
ALTER TABLE entries DROP CONSTRAINT entries_source_type_check,
    ADD CONSTRAINT entries_source_type_check CHECK (source_type IN ('transaction', 'expense', 'revaluation'));
ALTER TABLE ledger_rows DROP CONSTRAINT ledger_rows_source_type_check,
    ADD CONSTRAINT ledger_rows_source_type_check CHECK (source_type IN ('transaction', 'expense', 'revaluation'));

-- Entries booked before 0011 have lines without base values and no missing_fx_rate exception,
-- so nothing would ever book them again. While pending is true, each run flags for booking the
-- sources whose current lines in open periods lack base values and have no missing_fx_rate
-- exception (load.Writer.FlagUnvaluedForBooking); a run that finds none sets it to false, so
-- from then on the check costs one row read. Reopening a period sets it again: its entries
-- may be such lines, which the closed period kept as filed.
CREATE TABLE base_value_backfill (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    pending   boolean NOT NULL
);
INSERT INTO base_value_backfill (singleton, pending) VALUES (true, true);
