package extract

import (
	"testing"
	"time"
)

func TestLateChangesRecheck(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	l := LateChanges{PendingFor: 60 * 24 * time.Hour, ExpensesFullRefresh: 7 * 24 * time.Hour}
	tx := Window{From: now.Add(-31 * 24 * time.Hour), To: now}
	got := l.Recheck(now, tx)
	// Created before the window's start; pending ones back to now - 60 days (2026-01-09 12:00);
	// completed ones completed since the window's start (2026-02-07 12:00).
	want := Recheck{
		CreatedBefore:  time.Date(2026, 2, 7, 12, 0, 0, 0, time.UTC),
		PendingSince:   time.Date(2026, 1, 9, 12, 0, 0, 0, time.UTC),
		CompletedSince: time.Date(2026, 2, 7, 12, 0, 0, 0, time.UTC),
	}
	if got != want {
		t.Fatalf("Recheck = %+v, want %+v", got, want)
	}
}

func TestLateChangesFullExpenses(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	l := LateChanges{PendingFor: 60 * 24 * time.Hour, ExpensesFullRefresh: 7 * 24 * time.Hour}
	exp := Window{From: now.Add(-180 * 24 * time.Hour), To: now}
	oldest := time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)
	wide := Window{From: oldest, To: now}
	for _, tt := range []struct {
		name     string
		last     time.Time
		hasLast  bool
		want     Window
		wantFull bool
	}{
		{"never refreshed", time.Time{}, false, wide, true},
		{"6 days 23 hours ago", now.Add(-(7*24 - 1) * time.Hour), true, exp, false},
		{"exactly 7 days ago", now.Add(-7 * 24 * time.Hour), true, wide, true},
		{"30 days ago", now.Add(-30 * 24 * time.Hour), true, wide, true},
	} {
		w, full := l.FullExpenses(now, tt.last, tt.hasLast, exp, oldest)
		if w != tt.want || full != tt.wantFull {
			t.Errorf("%s: FullExpenses = %s %v, want %s %v", tt.name, w, full, tt.want, tt.wantFull)
		}
	}
	// Nothing stored older than the nightly window: the full refresh is the nightly window.
	if w, full := l.FullExpenses(now, time.Time{}, false, exp, now.Add(-24*time.Hour)); w != exp || !full {
		t.Errorf("recent oldest: %s %v, want %s true", w, full, exp)
	}
}
