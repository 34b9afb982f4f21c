package period

import (
	"testing"
	"time"
)

func TestPeriods(t *testing.T) {
	t.Parallel()
	p, err := Parse("2026-02")
	if err != nil {
		t.Fatal(err)
	}
	from, to := p.From, p.To
	if from != time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC) || to != time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) {
		t.Fatalf("bounds %s %s", from, to)
	}
	if _, err := Parse("2026-13"); err == nil {
		t.Fatal("2026-13 accepted")
	}
	got := Between(time.Date(2025, 12, 15, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	if len(got) != 2 || got[0].String() != "2025-12" || got[1].String() != "2026-01" {
		t.Fatalf("periods = %v", got)
	}
}

func TestParseMonth(t *testing.T) {
	t.Parallel()
	p, err := Parse("2024-12")
	if err != nil || p.Label != "2024-12" || !p.To.Equal(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Parse = %+v, %v", p, err)
	}
	if _, err := Parse("2024-13"); err == nil {
		t.Error("Parse accepted month 13")
	}
}
