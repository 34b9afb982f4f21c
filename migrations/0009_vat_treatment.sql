-- 0009_vat_treatment: every expense-split line carries its VAT treatment (transform/vat.go:
-- standard, reduced, zero, exempt, out_of_scope, reverse_charge, foreign, blocked), which the
-- VAT return reads. NULL on lines that are not part of a split, and on lines booked before
-- treatments existed until their source is booked again.
--
-- A reverse-charge split has three lines (net, input VAT, output VAT), each with the split's
-- figures: net = the amount paid, tax = the self-accounted VAT, gross = net + tax, so
-- ledger_rows_vat (net + tax = gross) holds on every line and the entry balances (the input
-- and output VAT lines cancel).
--
-- ledger_current is rebuilt because a view's r.* is expanded when the view is created: without
-- it the view would not show the new column. CREATE OR REPLACE keeps the columns in order and
-- adds vat_treatment at the end, which is where ALTER TABLE puts it.
ALTER TABLE ledger_rows ADD COLUMN vat_treatment text
    CHECK (vat_treatment IN ('standard', 'reduced', 'zero', 'exempt', 'out_of_scope',
                             'reverse_charge', 'foreign', 'blocked'));

CREATE OR REPLACE VIEW ledger_current AS
SELECT r.*
FROM ledger_rows r
JOIN entries e ON e.entry_id = r.entry_id AND e.current_version = r.version
WHERE NOT e.tombstone;
