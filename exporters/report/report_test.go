package report_test

import (
	"strings"
	"testing"
	"time"

	"github.com/revledger/revledger/exporters/report"
	"github.com/revledger/revledger/transform"
	"github.com/shopspring/decimal"
)

func d(s string) decimal.Decimal      { return decimal.RequireFromString(s) }
func nd(s string) decimal.NullDecimal { return decimal.NewNullDecimal(d(s)) }

var day1 = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)

func bankLine(entry, acct, amount, balance string, at time.Time) transform.Line {
	l := transform.Line{
		EntryID: entry, TransactionID: entry, BookingDate: at.Truncate(24 * time.Hour), OccurredAt: at,
		Key:         transform.LineKey{SourceType: "transaction", SourceID: entry, Role: "bank"},
		AccountCode: "1200", Amount: d(amount), Currency: "GBP", RevolutAccountID: acct,
	}
	if balance != "" {
		l.BankBalance = nd(balance)
	}
	return l
}

func other(entry, amount string, at time.Time) transform.Line {
	return transform.Line{
		EntryID: entry, BookingDate: at.Truncate(24 * time.Hour), OccurredAt: at,
		Key:         transform.LineKey{SourceType: "transaction", SourceID: entry, Role: "balancing"},
		AccountCode: "9999", Amount: d(amount), Currency: "GBP",
	}
}

func run(lines []transform.Line) ([]report.BankRow, report.Summary) {
	a := report.NewAggregator()
	var bank []report.BankRow
	for i := range lines {
		rows, _ := a.Add(&lines[i])
		bank = append(bank, rows...)
	}
	rest, s := a.Finish()
	return append(bank, rest...), s
}

func check(s report.Summary, prefix string) report.Check {
	for _, c := range s.Checks {
		if strings.HasPrefix(c.Name, prefix) {
			return c
		}
	}
	return report.Check{}
}

func TestBalancesAndTies(t *testing.T) {
	t.Parallel()
	at := day1.Add(9 * time.Hour)
	// Entries arrive out of time order within the day (the warehouse orders by entry id):
	// b at 10:00 then a at 09:00. Revolut: opening 100, a −10 → 90, b −5 → 85.
	lines := []transform.Line{
		bankLine("b", "acc", "-5", "85", at.Add(time.Hour)), other("b", "5", at.Add(time.Hour)),
		bankLine("a", "acc", "-10", "90", at), other("a", "10", at),
		// Next day, c: −1 but Revolut says 80 (a missing transaction of −4 in between).
		bankLine("c", "acc", "-1", "80", at.Add(24*time.Hour)), other("c", "1", at.Add(24*time.Hour)),
	}
	bank, s := run(lines)
	if len(bank) != 3 || bank[0].Line.EntryID != "a" || bank[1].Line.EntryID != "b" {
		t.Fatalf("bank rows not in time order: %+v", bank)
	}
	wantRunning := []string{"90", "85", "84"}
	wantTies := []bool{true, true, false}
	for i, r := range bank {
		if !r.Running.Equal(d(wantRunning[i])) || !r.Checked || r.Ties != wantTies[i] {
			t.Errorf("row %d: running %s checked %v ties %v, want %s true %v", i, r.Running, r.Checked, r.Ties, wantRunning[i], wantTies[i])
		}
	}
	c := check(s, "Bank lines tie")
	if c.Passed || !strings.Contains(c.Detail, "1 of 3") || !strings.Contains(c.Detail, "c") {
		t.Errorf("tie check = %+v", c)
	}
	if !check(s, "Every entry balances").Passed {
		t.Error("balanced entries reported unbalanced")
	}
}

func TestUnbalancedEntryAndSplits(t *testing.T) {
	t.Parallel()
	at := day1.Add(time.Hour)
	split := func(entry, net, tax, gross string) transform.Line {
		l := other(entry, net, at)
		l.Key = transform.LineKey{SourceType: "expense", SourceID: entry, Role: "net"}
		l.Net, l.Tax, l.Gross = nd(net), nd(tax), nd(gross)
		l.TaxRatePercent, l.TaxRateName = nd("20"), "Standard"
		l.Labels = map[string]string{"Project": "X", "Dept": "Y"}
		return l
	}
	vat := func(l transform.Line) transform.Line {
		l.Key.Role, l.Amount = "vat", l.Tax.Decimal
		return l
	}
	good := split("e1", "10.00", "2.00", "12.00")
	bad := split("e2", "10.00", "2.00", "12.01") // 10 + 2 ≠ 12.01
	lines := []transform.Line{
		bankLine("e1", "acc", "-12.00", "", at), good, vat(good),
		bankLine("e2", "acc", "-12.00", "", at), bad, vat(bad), // bank −12, lines +12: balances
		bankLine("e3", "acc", "-1.00", "", at), other("e3", "0.99", at), // off by 0.01
	}
	_, s := run(lines)
	if c := check(s, "Every entry balances"); c.Passed || !strings.Contains(c.Detail, "e3 (GBP -0.01)") {
		t.Errorf("balance check = %+v", c)
	}
	if c := check(s, "Splits add up"); c.Passed || !strings.Contains(c.Detail, "1 of 2") {
		t.Errorf("split check = %+v", c)
	}
	// One split per (entry, split index), though both its net and VAT lines carry figures.
	if s.Splits != 2 || len(s.VAT) != 1 || s.VAT[0].Count != 2 || !s.VAT[0].Tax.Equal(d("4.00")) || !s.VAT[0].Gross.Equal(d("24.01")) {
		t.Errorf("splits %d, VAT %+v", s.Splits, s.VAT)
	}
	if strings.Join(s.LabelGroup, ",") != "Dept,Project" {
		t.Errorf("label groups = %v", s.LabelGroup)
	}
	// Legs without a reported balance are not compared, and the check says so.
	if c := check(s, "Bank lines tie"); !c.Passed || !strings.Contains(c.Detail, "3 legs without a reported balance") {
		t.Errorf("tie check = %+v", c)
	}
	// Trial balance: 1200 credit 25.00; 9999 debit 10+10+0.99 = 20.99, plus VAT 4.00 on the
	// same code in this test = 24.99; debits − credits = −0.01, the unbalanced cent.
	var sum decimal.Decimal
	for _, r := range s.Trial {
		sum = sum.Add(r.Balance)
	}
	if !sum.Equal(d("-0.01")) {
		t.Errorf("trial balance sums to %s, want -0.01", sum)
	}
}

// TestFeeAndSameInstantCluster covers what real Revolut data does: the reported balance sits
// on the leg's main line and is after its fee, and a bulk payout completes several legs in one
// millisecond, whose order only the balances reveal.
func TestFeeAndSameInstantCluster(t *testing.T) {
	t.Parallel()
	at := day1.Add(9 * time.Hour)
	fee := func(entry, acct, amount string) transform.Line {
		l := bankLine(entry, acct, amount, "", at)
		l.Key.Role = "fee_bank"
		return l
	}
	// Opening 1000 (from x's balance). x: −100 and a 2.00 fee → 898.
	// Payout at 10:00, three legs applied by Revolut in the order p2 (−50 → 848),
	// p3 (−30 → 818), p1 (−20 → 798); sorted by id they would be p1, p2, p3.
	payout := at.Add(time.Hour)
	lines := []transform.Line{
		bankLine("p1", "acc", "-20", "798", payout),
		bankLine("p2", "acc", "-50", "848", payout),
		bankLine("p3", "acc", "-30", "818", payout),
		bankLine("x", "acc", "-100", "898", at), fee("x", "acc", "-2"),
	}
	bank, s := run(lines)
	var order []string
	for _, r := range bank {
		order = append(order, r.Line.EntryID+"/"+r.Running.String())
	}
	// x's two lines first (900 after the amount, 898 after the fee), then p2, p3, p1.
	want := "x/900,x/898,p2/848,p3/818,p1/798"
	if got := strings.Join(order, ","); got != want {
		t.Fatalf("order/running = %s, want %s", got, want)
	}
	if c := check(s, "Bank lines tie"); !c.Passed {
		t.Fatalf("tie check failed: %+v", c)
	}
}
