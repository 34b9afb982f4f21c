package load

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestFinishRunStoresHostileErrorText: an error text with a NUL byte (PostgreSQL text
// refuses it, SQLSTATE 22021), invalid UTF-8 and an echoed credential is stored sanitised,
// and the run gets its final status instead of staying "running". Before StoredText the
// UPDATE failed and the run row kept status running.
func TestFinishRunStoresHostileErrorText(t *testing.T) {
	t.Parallel()
	s, dsn := newStore(t)
	ctx := context.Background()
	id, err := s.StartRun(ctx, "sync", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	errText := "extract expenses: store receipt a\x00b: bad \xff\xfe bytes; echo: Authorization: Bearer oa_prod_EchoedAccessToken123"
	if err := s.FinishRun(ctx, id, Outcome{Status: RunFailed, Counts: map[string]int64{"changed": 1}, APIRequests: 7, Error: errText}); err != nil {
		t.Fatalf("FinishRun with a NUL in the error text: %v", err)
	}
	c := connect(t, dsn)
	var status RunStatus
	var stored string
	if err := c.QueryRow(ctx, "SELECT status, error FROM runs WHERE id = $1", id).Scan(&status, &stored); err != nil {
		t.Fatal(err)
	}
	if status != RunFailed {
		t.Errorf("status = %q, want %q", status, RunFailed)
	}
	if strings.ContainsRune(stored, 0) || !utf8.ValidString(stored) {
		t.Errorf("stored error %q carries a NUL or invalid UTF-8", stored)
	}
	if strings.Contains(stored, "oa_prod_EchoedAccessToken123") {
		t.Errorf("stored error %q carries the access token", stored)
	}
	for _, want := range []string{"store receipt a\uFFFDb", "echo: Authorization: Bearer [redacted]"} {
		if !strings.Contains(stored, want) {
			t.Errorf("stored error %q lacks %q", stored, want)
		}
	}
}

// TestQuarantineReasonWithNUL: a quarantine reason quoting a NUL is stored sanitised.
func TestQuarantineReasonWithNUL(t *testing.T) {
	t.Parallel()
	s, dsn := newStore(t)
	ctx := context.Background()
	lock, run := lockAndRun(t, s)
	_, err := lock.LoadBatch(ctx, Batch{Stream: "expenses", RunID: run, Quarantine: []Quarantined{
		{Stream: "expenses", SourceID: "e1", Reason: "receipt id \"a\x00b\" cannot be stored", Raw: []byte(`{"id":"e1"}`)},
	}})
	if err != nil {
		t.Fatalf("LoadBatch with a NUL in a quarantine reason: %v", err)
	}
	var reason string
	if err := connect(t, dsn).QueryRow(ctx, "SELECT reason FROM quarantine WHERE source_id = 'e1'").Scan(&reason); err != nil {
		t.Fatal(err)
	}
	if reason != "receipt id \"a\uFFFDb\" cannot be stored" {
		t.Errorf("reason = %q", reason)
	}
}

// TestFinishRunFailureIsNotSilent: when even the status cannot be stored, FinishRun says the
// run stays recorded as running (the pipeline logs it; the next run marks it abandoned).
func TestFinishRunFailureIsNotSilent(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	id, err := s.StartRun(ctx, "sync", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.FinishRun(ctx, id, Outcome{Status: "fail\x00ed", Error: "boom"})
	if err == nil || !strings.Contains(err.Error(), "stays recorded as running") {
		t.Fatalf("FinishRun with an unstorable status = %v, want an error saying the run stays running", err)
	}
	if errors.Is(err, ErrNotFound) {
		t.Fatalf("wrong error: %v", err)
	}
}

func TestStoredTextCap(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", maxStoredText) // 2 bytes each: cut mid-rune at the cap
	got := StoredText(long)
	if len(got) > maxStoredText+len("… (truncated)") || !utf8.ValidString(got) || !strings.HasSuffix(got, "(truncated)") {
		t.Errorf("capped text: %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
}
