-- 0011_base_currency: every ledger line carries its value in the business's base currency
-- (export.base_currency), the rate used and where that rate came from (transform.Line:
-- BaseAmount, BaseRate, RateSource). base_amount is NULL when no rate was found: the booking
-- then has a missing_fx_rate exception, never a zero.
--
-- ledger_current is rebuilt for the same reason as in 0009: a view's r.* is expanded when the
-- view is created, and CREATE OR REPLACE adds the new columns at the end, as ALTER TABLE does.
ALTER TABLE ledger_rows
    ADD COLUMN base_amount numeric,
    ADD COLUMN base_rate   numeric CHECK (base_rate > 0),
    ADD COLUMN rate_source text,
    ADD CONSTRAINT ledger_rows_base_rate CHECK ((base_amount IS NULL) = (base_rate IS NULL));

CREATE OR REPLACE VIEW ledger_current AS
SELECT r.*
FROM ledger_rows r
JOIN entries e ON e.entry_id = r.entry_id AND e.current_version = r.version
WHERE NOT e.tombstone;
