package extract

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // every zone loads even where the system has no tzdata (CI images)
)

// zoneNames lists every zone to check: testdata/zones.txt (the names in Go's embedded tzdata,
// $GOROOT/lib/time/zoneinfo.zip, which time/tzdata compiles in) plus whatever the system's
// /usr/share/zoneinfo holds beyond them.
func zoneNames(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "zones.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if n := strings.TrimSpace(sc.Text()); n != "" {
			seen[n] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	const sys = "/usr/share/zoneinfo"
	_ = filepath.WalkDir(sys, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			if d != nil && d.IsDir() && (d.Name() == "posix" || d.Name() == "right") {
				return fs.SkipDir
			}
			return nil
		}
		name := strings.TrimPrefix(p, sys+"/")
		if _, err := time.LoadLocation(name); err == nil && !strings.Contains(name, ".") {
			seen[name] = true
		}
		return nil
	})
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) < 400 {
		t.Fatalf("only %d zones found", len(names))
	}
	return names
}

// TestDayStartKnownGaps pins the cases from issue 21: local midnight on the 1st that does not
// exist. In each the clocks jump forward at midnight, so the day starts at the transition.
func TestDayStartKnownGaps(t *testing.T) {
	t.Parallel()
	cases := []struct {
		zone string
		y    int
		m    time.Month
		want time.Time // the transition instant: the first instant of the 1st
	}{
		// Asuncion: 2023-10-01 00:00 -04 → 01:00 -03, at 04:00Z.
		{"America/Asuncion", 2023, time.October, time.Date(2023, 10, 1, 4, 0, 0, 0, time.UTC)},
		// Havana: 2012-04-01 00:00 CST (-05) → 01:00 CDT, at 05:00Z.
		{"America/Havana", 2012, time.April, time.Date(2012, 4, 1, 5, 0, 0, 0, time.UTC)},
		// London left local mean time (-0:01:15) for GMT at 1847-12-01 00:00 LMT, 00:01:15Z:
		// the GMT midnight (00:00Z) still read 23:58:45 LMT on 30 November.
		{"Europe/London", 1847, time.December, time.Date(1847, 12, 1, 0, 1, 15, 0, time.UTC)},
		// An ordinary midnight: London, 1 April 2026 in BST.
		{"Europe/London", 2026, time.April, time.Date(2026, 3, 31, 23, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		loc, err := time.LoadLocation(c.zone)
		if err != nil {
			t.Fatal(err)
		}
		if got := DayStart(c.y, c.m, 1, loc); !got.Equal(c.want) {
			t.Errorf("%s %d-%02d: DayStart = %s, want %s", c.zone, c.y, c.m, got.UTC(), c.want)
		}
	}
}

// TestChunksTerminateInGaps is the reproduction of issue 21 item 2: on the old code these
// windows never finished chunking (the month after a missing midnight was asked for again and
// again). Expected chunk boundaries are the month starts pinned above.
func TestChunksTerminateInGaps(t *testing.T) {
	t.Parallel()
	asu, _ := time.LoadLocation("America/Asuncion")
	ldn, _ := time.LoadLocation("Europe/London")
	// backfill --from 2023-09-01 --to 2023-11-01 in Asuncion: 1 Sep is a -04 midnight (04:00Z),
	// 1 Oct starts at 04:00Z (see TestDayStartKnownGaps), 1 Nov is a -03 midnight (03:00Z).
	w := Window{From: DayStart(2023, 9, 1, asu), To: DayStart(2023, 11, 1, asu)}
	got := w.Chunks(asu, 0)
	want := []Window{
		{time.Date(2023, 9, 1, 4, 0, 0, 0, time.UTC), time.Date(2023, 10, 1, 4, 0, 0, 0, time.UTC)},
		{time.Date(2023, 10, 1, 4, 0, 0, 0, time.UTC), time.Date(2023, 11, 1, 3, 0, 0, 0, time.UTC)},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("Asuncion chunks = %v, want %v", got, want)
	}
	// backfill --from 1826-01-01 in London to 1848-02-01: one chunk per month, 265 months.
	w = Window{From: DayStart(1826, 1, 1, ldn), To: DayStart(1848, 2, 1, ldn)}
	if n := len(w.Chunks(ldn, 0)); n != 22*12+1 {
		t.Fatalf("London 1826-01..1848-01: %d chunks, want %d", n, 22*12+1)
	}
}

// TestChunksEveryZoneProperty checks, for every zone in the tzdata and every month from 1900
// to 2100, that month chunks strictly increase, are contiguous, cover the window exactly, and
// that each boundary is the first instant of its local 1st: it reads the 1st or later, and
// one second earlier read an earlier day. It also starts windows at every zone transition in
// that span (±1s), where a start can read the previous month after a fall-back.
func TestChunksEveryZoneProperty(t *testing.T) {
	t.Parallel()
	const months = 200 * 12
	zones := zoneNames(t)
	for _, name := range zones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		w := Window{From: DayStart(1900, 1, 1, loc), To: DayStart(2100, 1, 1, loc)}
		chunks := w.Chunks(loc, 0)
		if len(chunks) != months {
			t.Errorf("%s: %d chunks for 1900..2100, want %d", name, len(chunks), months)
			continue
		}
		checkCover(t, name, w, chunks)
		for i, c := range chunks {
			y, m := 1900+i/12, time.Month(1+i%12)
			target := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
			if got := localDate(c.From, loc); got.Before(target) {
				t.Errorf("%s: chunk %d starts %s, local date %s, before %d-%02d-01", name, i, c.From, got.Format(time.DateOnly), y, m)
			}
			if prev := localDate(c.From.Add(-time.Second), loc); !prev.Before(target) {
				t.Errorf("%s: chunk %d starts %s, but a second earlier already read %s", name, i, c.From, prev.Format(time.DateOnly))
			}
		}
		// Windows starting at each transition (and a second either side), 70 days long.
		lo, hi := w.From, w.To
		for at := lo; at.Before(hi); {
			_, end := at.In(loc).ZoneBounds()
			if end.IsZero() || !end.Before(hi) {
				break
			}
			if !end.After(at) {
				// Go's ZoneBounds puts the artificial year-end of a zone's rule-based future
				// one day early in leap years (2040-12-31 in US/Eastern): step over the day.
				at = at.Add(24 * time.Hour)
				continue
			}
			for _, d := range []time.Duration{-time.Second, 0, time.Second} {
				ww := Window{From: end.Add(d).UTC(), To: end.Add(d + 70*24*time.Hour).UTC()}
				cs := ww.Chunks(loc, 0)
				if len(cs) < 2 || len(cs) > 4 {
					t.Errorf("%s: window %s gives %d month chunks", name, ww, len(cs))
				}
				checkCover(t, name, ww, cs)
			}
			at = end
		}
		if t.Failed() {
			return // one zone's failures are enough to read
		}
	}
	t.Logf("%d zones × %d months checked", len(zones), months)
}

func checkCover(t *testing.T, name string, w Window, chunks []Window) {
	t.Helper()
	if len(chunks) == 0 || !chunks[0].From.Equal(w.From) || !chunks[len(chunks)-1].To.Equal(w.To) {
		t.Errorf("%s: chunks do not span %s", name, w)
		return
	}
	for i, c := range chunks {
		if !c.From.Before(c.To) {
			t.Errorf("%s: chunk %d %s does not advance", name, i, c)
		}
		if i > 0 && !c.From.Equal(chunks[i-1].To) {
			t.Errorf("%s: gap or overlap between %s and %s", name, chunks[i-1], c)
		}
	}
}

func localDate(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
