-- 0004_planner_statistics: statistics only where the planner uses them.
--
-- revledger analyzes the tables it fills in bulk as they grow (load/statistics.go). ANALYZE
-- computes statistics for every column of a 30,000-row sample, and most columns are never in
-- a WHERE or JOIN: the raw jsonb of each record (large values, expensive to compare) and the
-- descriptive columns of ledger lines. Measured on 52,000 ledger lines: ANALYZE ledger_rows
-- 1.08 s with every column, 0.20 s with the planner's columns only. A column with statistics
-- target 0 gets none; queries on it still work, planned with default estimates.
DO $$
DECLARE
    col record;
BEGIN
    FOR col IN
        SELECT c.relname, a.attname
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
          AND ((a.attname = 'raw' AND c.relname <> 'quarantine')
               OR (c.relname = 'ledger_rows' AND a.attname NOT IN
                   ('entry_id', 'version', 'line_key', 'source_type', 'source_id', 'booking_date', 'period')))
    LOOP
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I SET STATISTICS 0', col.relname, col.attname);
    END LOOP;
END
$$;
