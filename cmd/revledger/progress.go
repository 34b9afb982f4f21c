package main

import (
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/revledger/revledger/pipeline"
)

// progressView shows a run's progress: a live block of one line per stream on a terminal,
// plain periodic log lines otherwise (a cron job's log should not fill with carriage returns).
type progressView struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	log      *slog.Logger
	every    time.Duration
	now      func() time.Time

	streams map[string]pipeline.Progress
	order   []string
	drawn   int // lines drawn by the last redraw, for the terminal
	lastLog time.Time
	started time.Time
}

func newProgressView(w io.Writer, terminal bool, log *slog.Logger) *progressView {
	return &progressView{w: w, terminal: terminal, log: log, every: 10 * time.Second, now: time.Now,
		streams: map[string]pipeline.Progress{}, started: time.Now()}
}

// Update records one progress event and redraws or logs as appropriate.
func (p *progressView) Update(ev pipeline.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := ev.Stage + "/" + ev.Stream
	if _, ok := p.streams[key]; !ok {
		p.order = append(p.order, key)
	}
	p.streams[key] = ev
	if p.terminal {
		p.redraw()
		return
	}
	if ev.Done || p.now().Sub(p.lastLog) >= p.every {
		p.lastLog = p.now()
		attrs := []any{slog.String("stage", ev.Stage), slog.String("stream", ev.Stream), slog.Int64("rows", ev.Rows)}
		if ev.Chunks > 0 {
			attrs = append(attrs, slog.Int("chunk", ev.Chunk), slog.Int("chunks", ev.Chunks))
		}
		if ev.Done {
			p.log.Info("stream done", attrs...)
		} else {
			p.log.Info("progress", attrs...)
		}
	}
}

// Finish leaves the final state of the block on screen.
func (p *progressView) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drawn = 0
}

func (p *progressView) redraw() {
	if p.drawn > 0 {
		fmt.Fprintf(p.w, "\x1b[%dA", p.drawn) // cursor up to the top of the block
	}
	keys := append([]string(nil), p.order...)
	sort.SliceStable(keys, func(i, j int) bool { return stageRank(keys[i]) < stageRank(keys[j]) })
	for _, k := range keys {
		ev := p.streams[k]
		fmt.Fprintf(p.w, "\x1b[2K%s\n", progressLine(ev))
	}
	p.drawn = len(keys)
}

func stageRank(key string) int {
	for i, s := range []string{"extract/", "receipts/", "book/", "export/"} {
		if strings.HasPrefix(key, s) {
			return i
		}
	}
	return 9
}

// progressLine renders one stream: a bar when the number of chunks is known, a counter
// otherwise.
func progressLine(ev pipeline.Progress) string {
	label := fmt.Sprintf("%-8s %-22s", ev.Stage, ev.Stream)
	rows := fmt.Sprintf("%10s rows", groupThousands(ev.Rows))
	if ev.Chunks > 0 {
		const width = 24
		done := ev.Chunk - 1
		if ev.Done {
			done = ev.Chunks
		}
		filled := width * done / ev.Chunks
		bar := strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
		return fmt.Sprintf("%s %s %3d/%-3d %s", label, bar, done, ev.Chunks, rows)
	}
	state := "…"
	if ev.Done {
		state = "✓"
	}
	return fmt.Sprintf("%s %s %s", label, state, rows)
}

func groupThousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
