-- 0007_related_transactions: refunds are booked as the mirror image of their original, so
-- when an original is (re)booked, the refunds that name it are booked again. Finding them
-- looks transactions up by related_transaction_id; only refunds, chargebacks and the like
-- carry one, so a partial index stays small.
CREATE INDEX transactions_related ON transactions (related_transaction_id)
    WHERE related_transaction_id IS NOT NULL;
