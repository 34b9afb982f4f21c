package revoluttest

import (
	"bytes"
	"cmp"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/revolut"
)

// rawOf lists the served JSON of every record, for comparing two datasets byte for byte.
func rawOf(d Dataset) [][]byte {
	var out [][]byte
	for _, a := range d.Accounts {
		out = append(out, a.Raw)
	}
	for _, tx := range d.Transactions {
		out = append(out, tx.Raw)
	}
	for _, e := range d.Expenses {
		out = append(out, e.Raw)
	}
	for _, c := range d.Categories {
		out = append(out, c.Raw)
	}
	for _, l := range d.Labels {
		out = append(out, l.Raw)
	}
	for _, c := range d.Cards {
		out = append(out, c.Raw)
	}
	for _, c := range d.Counterparties {
		out = append(out, c.Raw)
	}
	for _, m := range d.TeamMembers {
		out = append(out, m.Raw)
	}
	ids := make([]string, 0, len(d.Receipts))
	for id := range d.Receipts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		out = append(out, []byte(id), d.Receipts[id].Data)
	}
	return out
}

func sameData(a, b Dataset) bool {
	ra, rb := rawOf(a), rawOf(b)
	return slices.EqualFunc(ra, rb, bytes.Equal)
}

func TestDeterminism(t *testing.T) {
	t.Parallel()
	opts := Options{Seed: 42, End: fixedEnd, Transactions: 3000, Quirks: true}
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(opts)
	opts.Seed = 43
	c, _ := New(opts)
	da, db, dc := a.Truth(), b.Truth(), c.Truth()
	if !sameData(da, db) {
		t.Error("same seed gave different data")
	}
	if sameData(da, dc) {
		t.Error("different seeds gave the same data")
	}
	if ca, cb := a.Credentials(), b.Credentials(); ca.ClientID != cb.ClientID || ca.RefreshToken != cb.RefreshToken || ca.AuthCode != cb.AuthCode {
		t.Error("same seed gave different credentials")
	}
	// 3000 transactions requested, one of them the undecodable quirk record; seven
	// transaction quirks and one expense quirk.
	if len(da.Transactions) != 2999 || len(da.Quirks) != 9 {
		t.Errorf("%d transactions and %d quirks, want 2999 and 9", len(da.Transactions), len(da.Quirks))
	}
}

// TestAdvance checks the scripted changes, and that they do not depend on how the time is
// advanced: one step of 20 days and 480 steps of an hour give the same data.
func TestAdvance(t *testing.T) {
	t.Parallel()
	clock := &testClock{t: fixedEnd} // never moves: only Advance moves the fake
	opts := Options{Seed: 5, End: fixedEnd, Transactions: 10000, Clock: clock.now}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	before := s.Truth()
	const days = 20
	s.Advance(days * 24 * time.Hour)
	after := s.Truth()

	stepped, _ := New(opts)
	for range days * 24 {
		stepped.Advance(time.Hour)
	}
	if !sameData(after, stepped.Truth()) {
		t.Error("advancing in one step and in hourly steps gave different data")
	}
	if !after.Now.Equal(fixedEnd.Add(days * 24 * time.Hour)) {
		t.Errorf("Now = %s", after.Now)
	}

	txAfter := map[string]revolut.Transaction{}
	for _, tx := range after.Transactions {
		txAfter[tx.ID] = tx
	}
	expByTx := map[string]revolut.Expense{}
	for _, e := range after.Expenses {
		if e.TransactionID != "" {
			expByTx[e.TransactionID] = e
		}
	}
	outcomes := map[string]int{}
	for _, old := range before.Transactions {
		if old.State != revolut.TransactionPending {
			continue
		}
		now := txAfter[old.ID]
		outcomes[now.State]++
		if now.State == revolut.TransactionCompleted {
			if !now.CompletedAt.After(fixedEnd) {
				t.Errorf("%s completed at %s, before the history end", now.ID, now.CompletedAt)
			}
			if e, ok := expByTx[now.ID]; ok && !e.ExpenseDate.Equal(now.CompletedAt.Time) {
				t.Errorf("expense %s: expense_date %s, want the completion time %s", e.ID, e.ExpenseDate, now.CompletedAt)
			}
		}
	}
	// Every card payment resolves within 14 days; all pending at the end were created
	// within the last 14 days, so after 20 days none is left pending.
	if outcomes[revolut.TransactionPending] != 0 || outcomes[revolut.TransactionCompleted] == 0 {
		t.Errorf("pending transactions after %d days: %v", days, outcomes)
	}
	var completedThenReverted, newTx int
	for _, old := range before.Transactions {
		if now := txAfter[old.ID]; old.State == revolut.TransactionCompleted && now.State == revolut.TransactionReverted {
			completedThenReverted++
			if !now.CompletedAt.Equal(old.CompletedAt.Time) {
				t.Errorf("%s lost its completed_at when reverted", now.ID)
			}
		}
	}
	for _, tx := range after.Transactions {
		if !tx.CreatedAt.Before(fixedEnd) {
			newTx++
		}
	}
	oldExp := map[string]revolut.Expense{}
	for _, e := range before.Expenses {
		oldExp[e.ID] = e
	}
	transitions := map[[2]string]int{}
	for _, e := range after.Expenses {
		if o, ok := oldExp[e.ID]; ok && o.State != e.State {
			transitions[[2]string{o.State, e.State}]++
		}
	}
	// About 9,400 ordinary transactions over 8,760 hours is ~1.07 an hour: ~515 in 480 h.
	if newTx < 400 || newTx > 650 {
		t.Errorf("%d new transactions in %d days, want about 515", newTx, days)
	}
	if completedThenReverted == 0 {
		t.Error("no completed transaction was reverted")
	}
	for _, want := range [][2]string{{"approved", "missing_info"}, {"awaiting_review", "approved"}, {"missing_info", "awaiting_review"}} {
		if transitions[want] == 0 {
			t.Errorf("no expense went %s → %s; transitions: %v", want[0], want[1], transitions)
		}
	}
	checkBalances(t, after)
}

// checkBalances proves the running balances: per account, ordering the legs of completed
// (or completed-then-reverted) transactions by completion, each leg's balance is the
// previous one plus amount − fee, minus the nets of reverts that happened in between;
// and the account balance is the opening balance plus the nets of completed legs.
func checkBalances(t *testing.T, d Dataset) {
	t.Helper()
	type booked struct {
		at       time.Time
		net, bal decimal.Decimal
	}
	type revert struct {
		at  time.Time
		net decimal.Decimal
	}
	legs := map[string][]booked{}
	reverts := map[string][]revert{}
	sums := map[string]decimal.Decimal{}
	for _, tx := range d.Transactions {
		if tx.CompletedAt.IsZero() || (tx.State != revolut.TransactionCompleted && tx.State != revolut.TransactionReverted) {
			continue
		}
		for _, l := range tx.Legs {
			if !l.Balance.Valid {
				t.Fatalf("%s %s leg has no balance", tx.State, tx.ID)
			}
			net := l.Amount.Sub(l.Fee.Decimal)
			legs[l.AccountID] = append(legs[l.AccountID], booked{tx.CompletedAt.Time, net, l.Balance.Decimal})
			if tx.State == revolut.TransactionReverted {
				reverts[l.AccountID] = append(reverts[l.AccountID], revert{tx.UpdatedAt.Time, net})
			} else {
				sums[l.AccountID] = sums[l.AccountID].Add(net)
			}
		}
	}
	for _, a := range d.Accounts {
		want := d.OpeningBalances[a.ID].Add(sums[a.ID])
		if !a.Balance.Equal(want) {
			t.Errorf("account %s: balance %s, opening + completed legs = %s", a.Name, a.Balance, want)
		}
		ls := legs[a.ID]
		slices.SortStableFunc(ls, func(x, y booked) int { return x.at.Compare(y.at) })
		rs := reverts[a.ID]
		slices.SortFunc(rs, func(x, y revert) int { return x.at.Compare(y.at) })
		cur, ri := d.OpeningBalances[a.ID], 0
		// Legs completing at one instant (bulk payouts) may be in any order among
		// themselves: chain them greedily.
		for i := 0; i < len(ls); {
			j := i
			for j < len(ls) && ls[j].at.Equal(ls[i].at) {
				j++
			}
			for ri < len(rs) && !rs[ri].at.After(ls[i].at) {
				cur = cur.Sub(rs[ri].net)
				ri++
			}
			group := slices.Clone(ls[i:j])
			for len(group) > 0 {
				k := slices.IndexFunc(group, func(b booked) bool { return b.bal.Equal(cur.Add(b.net)) })
				if k < 0 {
					t.Fatalf("account %s at %s: no leg continues the running balance %s", a.Name, ls[i].at, cur)
				}
				cur = group[k].bal
				group = slices.Delete(group, k, k+1)
			}
			i = j
		}
		for ; ri < len(rs); ri++ {
			cur = cur.Sub(rs[ri].net)
		}
		if !cur.Equal(a.Balance) {
			t.Errorf("account %s: chain ends at %s, balance %s", a.Name, cur, a.Balance)
		}
	}
}

func TestGeneratedData(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Seed: 9, End: fixedEnd, Transactions: 5000})
	d := s.Truth()
	checkBalances(t, d)

	types, states := map[string]int{}, map[string]int{}
	var crossCurrency, refundsLinked, withFee, companyCardRefs int
	byID := map[string]revolut.Transaction{}
	for _, tx := range d.Transactions {
		byID[tx.ID] = tx
		types[tx.Type]++
		states[tx.State]++
		for _, l := range tx.Legs {
			if l.BillCurrency != "" && l.BillCurrency != l.Currency {
				crossCurrency++
			}
			if l.Fee.Valid {
				withFee++
			}
			if l.Currency == "JPY" && !l.Amount.Equal(l.Amount.Truncate(0)) {
				t.Errorf("JPY amount %s has minor units", l.Amount)
			}
		}
		if tx.Card != nil && len(tx.Card.References) > 0 {
			companyCardRefs++
		}
		if (tx.State == revolut.TransactionDeclined || tx.State == revolut.TransactionFailed) && tx.ReasonCode == "" {
			t.Errorf("%s %s without reason_code", tx.State, tx.ID)
		}
	}
	for _, tx := range d.Transactions {
		if tx.Type == revolut.TypeCardRefund {
			if _, ok := byID[tx.RelatedTransactionID]; ok {
				refundsLinked++
			}
		}
	}
	for _, typ := range []string{"card_payment", "card_refund", "exchange", "transfer", "fee", "topup", "atm", "tax"} {
		if types[typ] == 0 {
			t.Errorf("no %s transactions", typ)
		}
	}
	for _, st := range []string{"pending", "completed", "declined", "failed", "reverted"} {
		if states[st] == 0 {
			t.Errorf("no %s transactions", st)
		}
	}
	if crossCurrency == 0 || refundsLinked == 0 || withFee == 0 || companyCardRefs == 0 {
		t.Errorf("cross-currency %d, linked refunds %d, legs with fee %d, company card refs %d", crossCurrency, refundsLinked, withFee, companyCardRefs)
	}

	taxByID := map[string]revolut.TaxRate{}
	for _, tr := range d.TaxRates {
		taxByID[tr.ID] = tr
	}
	var omitted, reimbursements, foreignSplits, withReceipts int
	for _, e := range d.Expenses {
		total := decimal.Zero
		for _, sp := range e.Splits {
			if sp.Amount.Currency != e.SpentAmount.Currency {
				t.Errorf("expense %s: split in %s, spent in %s", e.ID, sp.Amount.Currency, e.SpentAmount.Currency)
			}
			total = total.Add(sp.Amount.Amount)
			if !sp.TaxRate.Percentage.Valid {
				omitted++
				if !taxByID[sp.TaxRate.ID].Percentage.Valid {
					t.Errorf("split tax rate %s has no percentage in the settings either", sp.TaxRate.ID)
				}
			}
		}
		// A few submitters split only part of the spend (see coverage_test.go); the splits
		// never add up to more than it.
		if total.GreaterThan(e.SpentAmount.Amount) || total.Sign() <= 0 {
			t.Errorf("expense %s: splits sum to %s, spent %s", e.ID, total, e.SpentAmount.Amount)
		}
		for g, ls := range e.Labels {
			if len(ls) != 1 {
				t.Errorf("expense %s: label group %s has %d labels", e.ID, g, len(ls))
			}
		}
		for _, id := range e.ReceiptIDs {
			if d.Receipts[id].ExpenseID != e.ID {
				t.Errorf("receipt %s of %s missing from the truth", id, e.ID)
			}
		}
		if len(e.ReceiptIDs) > 0 {
			withReceipts++
		}
		if e.TransactionID == "" {
			reimbursements++
			if e.TransactionType != revolut.ExpenseTypeExternal && e.TransactionType != revolut.ExpenseTypeMileage {
				t.Errorf("expense %s of type %s has no transaction", e.ID, e.TransactionType)
			}
			continue
		}
		tx := byID[e.TransactionID]
		want := tx.CreatedAt
		if !tx.CompletedAt.IsZero() && tx.State == revolut.TransactionCompleted || tx.State == revolut.TransactionReverted && !tx.CompletedAt.IsZero() {
			want = tx.CompletedAt
		}
		if !e.ExpenseDate.Equal(want.Time) {
			t.Errorf("expense %s: expense_date %s, transaction %s created %s completed %s", e.ID, e.ExpenseDate, tx.State, tx.CreatedAt, tx.CompletedAt)
		}
		if len(tx.Legs) > 0 && tx.Legs[0].Currency != e.SpentAmount.Currency {
			foreignSplits++
		}
	}
	if omitted == 0 || reimbursements == 0 || foreignSplits == 0 || withReceipts == 0 {
		t.Errorf("splits without percentage %d, reimbursements %d, foreign-currency splits %d, with receipts %d", omitted, reimbursements, foreignSplits, withReceipts)
	}
}

func TestReceipts(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Seed: 11, End: fixedEnd, Transactions: 800})
	tok := accessToken(t, s)
	d := s.Truth()
	magic := map[string][]byte{
		"application/pdf": []byte("%PDF-"),
		"image/jpeg":      {0xFF, 0xD8, 0xFF},
		"image/png":       {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'},
	}
	seenTypes := map[string]int{}
	ids := make([]string, 0, len(d.Receipts))
	for id := range d.Receipts {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, cmp.Compare)
	for _, id := range ids[:min(40, len(ids))] {
		rc := d.Receipts[id]
		resp, body := get(t, s, tok, "/expenses/"+rc.ExpenseID+"/receipts/"+id+"/content")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != rc.ContentType || !bytes.Equal(body, rc.Data) {
			t.Fatalf("receipt %s: status %d type %s, %d bytes; want %s, %d bytes", id, resp.StatusCode, resp.Header.Get("Content-Type"), len(body), rc.ContentType, len(rc.Data))
		}
		if !bytes.HasPrefix(body, magic[rc.ContentType]) {
			t.Errorf("receipt %s (%s) starts % x", id, rc.ContentType, body[:8])
		}
		if len(body) > 4096 {
			t.Errorf("receipt %s is %d bytes; receipts should be small", id, len(body))
		}
		seenTypes[rc.ContentType]++
	}
	if len(seenTypes) != 3 {
		t.Errorf("receipt types %v, want PDF, JPEG and PNG", seenTypes)
	}
	// A receipt id asked under another expense is not found.
	var other string
	for _, e := range d.Expenses {
		if e.ID != d.Receipts[ids[0]].ExpenseID {
			other = e.ID
			break
		}
	}
	if resp, _ := get(t, s, tok, "/expenses/"+other+"/receipts/"+ids[0]+"/content"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("receipt under the wrong expense: %d, want 404", resp.StatusCode)
	}
}
