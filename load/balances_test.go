package load

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/revledger/revledger/transform"
)

// balanceRow is one ledger line as the opening-balance test inserts it.
type balanceRow struct {
	entry, key, role       string
	version                int
	day                    string // booking date, 2024-MM-DD
	at                     string // occurred at, RFC 3339
	code, name             string
	amount, currency       string
	base, rate             string // "" for no base amount
	revolutAccount, balRep string // Revolut account id and reported balance, "" for none
}

// insertBalanceRows writes entries straight to the ledger tables in one transaction, the way
// WriteBookings leaves them (entries head, versions, lines with their base columns), so the
// test does not depend on the booker or writer filling base amounts. current gives each
// entry's current version; lines of other versions are kept as history.
func insertBalanceRows(t *testing.T, dsn string, run RunID, current map[string]int, rows []balanceRow) {
	t.Helper()
	ctx := context.Background()
	conn := connect(t, dsn)
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		versions := map[[2]any]string{}
		for _, r := range rows {
			versions[[2]any{r.entry, r.version}] = r.day[:7]
		}
		for ev, period := range versions {
			if _, err := tx.Exec(ctx, `INSERT INTO entry_versions (entry_id, version, run_id, lines_hash, period, tombstone)
				VALUES ($1, $2, $3, '\x01', $4, false)`, ev[0], ev[1], run, period); err != nil {
				return err
			}
		}
		for entry, v := range current {
			if _, err := tx.Exec(ctx, `INSERT INTO entries (entry_id, source_type, source_id, current_version, lines_hash, tombstone, period, run_id)
				VALUES ($1, 'transaction', $1, $2, '\x01', false, $3, $4)`, entry, v, versions[[2]any{entry, v}], run); err != nil {
				return err
			}
		}
		for i, r := range rows {
			null := func(s string) any {
				if s == "" {
					return nil
				}
				return s
			}
			if _, err := tx.Exec(ctx, `INSERT INTO ledger_rows (entry_id, version, line_key, source_type, source_id,
					line_index, role, run_id, booking_date, occurred_at, period, account_code, account_name, amount,
					currency, revolut_account_id, bank_balance, transaction_id, base_amount, base_rate, rate_source)
				VALUES ($1, $2, $3, 'transaction', $1, $4, $5, $6, $7::date, $8::timestamptz, $9, $10, $11, $12::numeric,
					$13, $14, $15::numeric, $1, $16::numeric, $17::numeric, CASE WHEN $16::text IS NULL THEN NULL ELSE 'test' END)`,
				r.entry, r.version, r.key, i, r.role, run, r.day, r.at, r.day[:7], r.code, r.name, r.amount,
				r.currency, null(r.revolutAccount), null(r.balRep), null(r.base), null(r.rate)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("insert ledger rows: %v", err)
	}
}

// OpeningBalances sums the current lines before the period per account and currency, base
// amounts apart from the lines without one, and takes Revolut's last reported balance per
// account. Figures by hand (base currency GBP):
//
//	1200 GBP: −12.00 (10 Feb) −5.00 (26 Feb) −40.00 (27 Feb, version 2 of txn:f; its
//	          version 1, −50.00, is history and not counted) = −57.00, base −57.00, 3 lines
//	6000 GBP: +12.00 +40.00 = 52.00;  7900 GBP: 5.00
//	1201 EUR: +100.00 at 0.855 → base 85.50;  4000 EUR: −100.00 → base −85.50
//	1202 JPY: −1000, no rate: base 0, 1 unconverted line of −1000;  6200 JPY: +1000 likewise
//	base total: −57.00 + 52.00 + 5.00 + 85.50 − 85.50 = 0.00
//	The line of 1 March (−1.00, reported 982.00) is in the period and counts for nothing.
//
// Banks: acc-eur 600.00 (20 Feb), acc-gbp 943.00 (txn:f v2 on 27 Feb, after 983.00 on 26
// Feb; its v1's 933.00 is history), acc-jpy 9000.
func TestOpeningBalances(t *testing.T) {
	t.Parallel()
	s, dsn := newStore(t)
	ctx := context.Background()
	run, err := s.StartRun(ctx, "test", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	gbpBank := func(entry string, v int, day, at, amount, bal string) balanceRow {
		return balanceRow{entry: entry, version: v, key: entry + "/0/bank", role: "bank", day: day, at: at,
			code: "1200", name: "Revolut GBP", amount: amount, currency: "GBP", base: amount, rate: "1",
			revolutAccount: "acc-gbp", balRep: bal}
	}
	other := func(entry string, v int, day, at, code, name, amount, cur, base, rate string) balanceRow {
		return balanceRow{entry: entry, version: v, key: entry + "/0/balancing", role: "balancing", day: day, at: at,
			code: code, name: name, amount: amount, currency: cur, base: base, rate: rate}
	}
	latest := gbpBank("txn:f", 2, "2024-02-27", "2024-02-27T12:00:00Z", "-40.00", "943.00")
	latest.name = "Revolut Main GBP"
	insertBalanceRows(t, dsn, run, map[string]int{"txn:a": 1, "txn:b": 1, "txn:c": 1, "txn:d": 1, "txn:e": 1, "txn:f": 2}, []balanceRow{
		gbpBank("txn:a", 1, "2024-02-10", "2024-02-10T09:00:00Z", "-12.00", "988.00"),
		other("txn:a", 1, "2024-02-10", "2024-02-10T09:00:00Z", "6000", "Travel", "12.00", "GBP", "12.00", "1"),
		{entry: "txn:b", version: 1, key: "txn:b/0/bank", role: "bank", day: "2024-02-20", at: "2024-02-20T10:00:00Z",
			code: "1201", name: "Revolut EUR", amount: "100.00", currency: "EUR", base: "85.50", rate: "0.855",
			revolutAccount: "acc-eur", balRep: "600.00"},
		other("txn:b", 1, "2024-02-20", "2024-02-20T10:00:00Z", "4000", "Sales", "-100.00", "EUR", "-85.50", "0.855"),
		{entry: "txn:c", version: 1, key: "txn:c/0/bank", role: "bank", day: "2024-02-25", at: "2024-02-25T10:00:00Z",
			code: "1202", name: "Revolut JPY", amount: "-1000", currency: "JPY", revolutAccount: "acc-jpy", balRep: "9000"},
		other("txn:c", 1, "2024-02-25", "2024-02-25T10:00:00Z", "6200", "Subsistence", "1000", "JPY", "", ""),
		gbpBank("txn:d", 1, "2024-02-26", "2024-02-26T10:00:00Z", "-5.00", "983.00"),
		other("txn:d", 1, "2024-02-26", "2024-02-26T10:00:00Z", "7900", "Bank fees", "5.00", "GBP", "5.00", "1"),
		gbpBank("txn:e", 1, "2024-03-01", "2024-03-01T10:00:00Z", "-1.00", "982.00"),
		other("txn:e", 1, "2024-03-01", "2024-03-01T10:00:00Z", "6000", "Travel", "1.00", "GBP", "1.00", "1"),
		gbpBank("txn:f", 1, "2024-02-27", "2024-02-27T12:00:00Z", "-50.00", "933.00"),
		other("txn:f", 1, "2024-02-27", "2024-02-27T12:00:00Z", "6000", "Travel", "50.00", "GBP", "50.00", "1"),
		latest,
		other("txn:f", 2, "2024-02-27", "2024-02-27T12:00:00Z", "6000", "Travel", "40.00", "GBP", "40.00", "1"),
	})

	got, err := s.OpeningBalances(ctx, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	type acc struct {
		code, name, cur, amount string
		lines                   int
		base                    string
		unconv                  int
		unconvAmount            string
	}
	want := []acc{
		{"1200", "Revolut Main GBP", "GBP", "-57.00", 3, "-57.00", 0, "0"},
		{"1201", "Revolut EUR", "EUR", "100.00", 1, "85.50", 0, "0"},
		{"1202", "Revolut JPY", "JPY", "-1000", 1, "0", 1, "-1000"},
		{"4000", "Sales", "EUR", "-100.00", 1, "-85.50", 0, "0"},
		{"6000", "Travel", "GBP", "52.00", 2, "52.00", 0, "0"},
		{"6200", "Subsistence", "JPY", "1000", 1, "0", 1, "1000"},
		{"7900", "Bank fees", "GBP", "5.00", 1, "5.00", 0, "0"},
	}
	if len(got.Accounts) != len(want) {
		t.Fatalf("%d account balances, want %d: %+v", len(got.Accounts), len(want), got.Accounts)
	}
	total := dec("0")
	for i, w := range want {
		g := got.Accounts[i]
		if g.AccountCode != w.code || g.AccountName != w.name || g.Currency != w.cur || !g.Amount.Equal(dec(w.amount)) ||
			g.Lines != w.lines || !g.Base.Equal(dec(w.base)) || g.Unconverted != w.unconv || !g.UnconvertedAmount.Equal(dec(w.unconvAmount)) {
			t.Errorf("account %d = %+v, want %+v", i, g, w)
		}
		total = total.Add(g.Base)
	}
	if !total.IsZero() {
		t.Errorf("opening base balances total %s, want 0", total)
	}
	wantBanks := []transform.BankOpening{
		{RevolutAccountID: "acc-eur", AccountCode: "1201", AccountName: "Revolut EUR", Currency: "EUR", Balance: dec("600.00"),
			At: time.Date(2024, 2, 20, 10, 0, 0, 0, time.UTC)},
		{RevolutAccountID: "acc-gbp", AccountCode: "1200", AccountName: "Revolut Main GBP", Currency: "GBP", Balance: dec("943.00"),
			At: time.Date(2024, 2, 27, 12, 0, 0, 0, time.UTC)},
		{RevolutAccountID: "acc-jpy", AccountCode: "1202", AccountName: "Revolut JPY", Currency: "JPY", Balance: dec("9000"),
			At: time.Date(2024, 2, 25, 10, 0, 0, 0, time.UTC)},
	}
	if len(got.Banks) != len(wantBanks) {
		t.Fatalf("bank openings %+v", got.Banks)
	}
	for i, w := range wantBanks {
		g := got.Banks[i]
		if g.RevolutAccountID != w.RevolutAccountID || g.AccountCode != w.AccountCode || g.AccountName != w.AccountName ||
			g.Currency != w.Currency || !g.Balance.Equal(w.Balance) || !g.At.Equal(w.At) {
			t.Errorf("bank %d = %+v, want %+v", i, g, w)
		}
	}

	// Carried through the lines from any earlier day, the balances are the same.
	for _, from := range []string{"2024-01-01", "2024-02-11", "2024-02-27", "2024-02-28"} {
		assertRollAgrees(t, s, from, "2024-03-01")
	}
	assertRollAgrees(t, s, "2024-02-26", "2024-03-02") // through txn:e of 1 March

	// Before any line: nothing.
	empty, err := s.OpeningBalances(ctx, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(empty.Accounts) != 0 || len(empty.Banks) != 0 {
		t.Errorf("openings before the first line: %+v", empty)
	}
}

// TestOpeningBalanceAfterReversal: a reversing entry carries no balance, and the balance
// Revolut reported on the reverted leg is from before the money came back, so the opening
// adds the reversals booked after the last reported balance. By hand: the GBP account
// reports 1,000.00 after txn:a (−20.00) on 10 Feb; txn:a is reverted on 12 Feb (+20.00, no
// balance); the opening on 1 March is 1,000.00 + 20.00 = 1,020.00. A reversal before the
// last reported balance (txn:z's, on 5 Feb, before txn:a) is already in that balance.
func TestOpeningBalanceAfterReversal(t *testing.T) {
	t.Parallel()
	s, dsn := newStore(t)
	ctx := context.Background()
	run, err := s.StartRun(ctx, "test", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	bank := func(entry, role, day, at, amount, bal string) balanceRow {
		return balanceRow{entry: entry, version: 1, key: entry + "/0/" + role, role: role, day: day, at: at,
			code: "1200", name: "Revolut GBP", amount: amount, currency: "GBP", base: amount, rate: "1",
			revolutAccount: "acc-gbp", balRep: bal}
	}
	other := func(entry, role, day, at, amount string) balanceRow {
		return balanceRow{entry: entry, version: 1, key: entry + "/0/" + role, role: role, day: day, at: at,
			code: "6000", name: "Travel", amount: amount, currency: "GBP", base: amount, rate: "1"}
	}
	insertBalanceRows(t, dsn, run, map[string]int{"txn:z": 1, "txn:z:reversal": 1, "txn:a": 1, "txn:a:reversal": 1}, []balanceRow{
		bank("txn:z", "bank", "2024-02-01", "2024-02-01T09:00:00Z", "-5.00", "1015.00"),
		other("txn:z", "balancing", "2024-02-01", "2024-02-01T09:00:00Z", "5.00"),
		bank("txn:z:reversal", "bank:reversal", "2024-02-05", "2024-02-05T09:00:00Z", "5.00", ""),
		other("txn:z:reversal", "balancing:reversal", "2024-02-05", "2024-02-05T09:00:00Z", "-5.00"),
		bank("txn:a", "bank", "2024-02-10", "2024-02-10T09:00:00Z", "-20.00", "1000.00"),
		other("txn:a", "balancing", "2024-02-10", "2024-02-10T09:00:00Z", "20.00"),
		bank("txn:a:reversal", "bank:reversal", "2024-02-12", "2024-02-12T09:00:00Z", "20.00", ""),
		other("txn:a:reversal", "balancing:reversal", "2024-02-12", "2024-02-12T09:00:00Z", "-20.00"),
	})
	got, err := s.OpeningBalances(ctx, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Banks) != 1 || !got.Banks[0].Balance.Equal(dec("1020.00")) {
		t.Errorf("bank openings %+v, want acc-gbp 1,020.00", got.Banks)
	}
	for _, from := range []string{"2024-01-01", "2024-02-03", "2024-02-06", "2024-02-11", "2024-02-13"} {
		assertRollAgrees(t, s, from, "2024-03-01")
	}
}

// TestOpeningBalanceOfAQuietAccount: the latest reported line is looked for in the last 45
// days first; an account that reported nothing then (a savings account untouched since
// January) still opens at its last reported balance, found among every earlier line, and an
// account that never moved has no opening. By hand: acc-sav reports 5,000.00 on 10 Jan; the
// opening on 1 April (81 days later) is 5,000.00; acc-gbp reports 700.00 on 20 March.
func TestOpeningBalanceOfAQuietAccount(t *testing.T) {
	t.Parallel()
	s, dsn := newStore(t)
	ctx := context.Background()
	run, err := s.StartRun(ctx, "test", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	conn := connect(t, dsn)
	for _, id := range []string{"acc-sav", "acc-gbp", "acc-unused"} {
		if _, err := conn.Exec(ctx, `INSERT INTO accounts (id, currency, state, balance, public, raw, source_hash)
			VALUES ($1, 'GBP', 'active', 0, false, '{}', '\x00')`, id); err != nil {
			t.Fatal(err)
		}
	}
	bank := func(entry, day, acct, amount, bal string) balanceRow {
		return balanceRow{entry: entry, version: 1, key: entry + "/0/bank", role: "bank", day: day, at: day + "T09:00:00Z",
			code: "1200", name: "Revolut", amount: amount, currency: "GBP", base: amount, rate: "1",
			revolutAccount: acct, balRep: bal}
	}
	other := func(entry, day, amount string) balanceRow {
		return balanceRow{entry: entry, version: 1, key: entry + "/0/balancing", role: "balancing", day: day, at: day + "T09:00:00Z",
			code: "3000", name: "Capital", amount: amount, currency: "GBP", base: amount, rate: "1"}
	}
	insertBalanceRows(t, dsn, run, map[string]int{"txn:s": 1, "txn:g": 1}, []balanceRow{
		bank("txn:s", "2024-01-10", "acc-sav", "5000.00", "5000.00"), other("txn:s", "2024-01-10", "-5000.00"),
		bank("txn:g", "2024-03-20", "acc-gbp", "700.00", "700.00"), other("txn:g", "2024-03-20", "-700.00"),
	})
	got, err := s.OpeningBalances(ctx, time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Banks) != 2 || got.Banks[0].RevolutAccountID != "acc-gbp" || !got.Banks[0].Balance.Equal(dec("700.00")) ||
		got.Banks[1].RevolutAccountID != "acc-sav" || !got.Banks[1].Balance.Equal(dec("5000.00")) {
		t.Errorf("bank openings %+v, want acc-gbp 700.00 then acc-sav 5,000.00", got.Banks)
	}
	assertRollAgrees(t, s, "2024-03-01", "2024-04-01")
}

// assertRollAgrees checks that the warehouse's balances at from, carried through the current
// lines of [from, to) by transform.Roll (as an export sequence carries them from one period to
// the next), are the warehouse's balances at to, figure for figure.
func assertRollAgrees(t *testing.T, s *Store, from, to string) {
	t.Helper()
	ctx := context.Background()
	f, err := time.Parse(time.DateOnly, from)
	if err != nil {
		t.Fatal(err)
	}
	u, err := time.Parse(time.DateOnly, to)
	if err != nil {
		t.Fatal(err)
	}
	opening, err := s.OpeningBalances(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	roll := transform.NewRoll(opening)
	for l, err := range s.LedgerLines(ctx, f, u) {
		if err != nil {
			t.Fatal(err)
		}
		roll.Add(&l)
	}
	want, err := s.OpeningBalances(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if got := roll.Balances(); !got.Equal(want) {
		t.Errorf("balances of %s carried to %s:\n%+v\nthe warehouse's:\n%+v", from, to, got, want)
	}
}
