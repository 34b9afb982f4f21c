package csvfmt

import (
	"fmt"
	"io"
)

// Opener opens part n (1, 2, ...) of a file that is split to stay within an importer's limit.
type Opener func(part int) (io.Writer, error)

// PartName is the name of part n of a file named base+".csv": the first part keeps the plain
// name, so a period that fits one file looks as it always did, and part n ≥ 2 is
// base_partN.csv.
func PartName(base string, part int) string {
	if part <= 1 {
		return base + ".csv"
	}
	return fmt.Sprintf("%s_part%d.csv", base, part)
}

// Parts writes groups of rows under one header into numbered parts of at most max data rows
// each, never splitting a group (a journal's lines must arrive in one file to balance). A
// group larger than max is written alone in a part of its own: it cannot be split, and the
// format's validator reports it.
type Parts struct {
	open   Opener
	header []string
	max    int
	cur    writer
	rows   []int
}

// NewParts returns a Parts; nothing is opened before the first group.
func NewParts(header []string, max int, open Opener) *Parts {
	return &Parts{open: open, header: header, max: max}
}

// Group writes rows to the current part, or to a new one when they would not fit.
func (p *Parts) Group(rows [][]string) error {
	if len(rows) == 0 {
		return nil
	}
	if len(p.rows) == 0 || (p.cur.rows > 0 && p.cur.rows+len(rows) > p.max) {
		if err := p.next(); err != nil {
			return err
		}
	}
	for _, r := range rows {
		if err := p.cur.record(r); err != nil {
			return err
		}
	}
	p.rows[len(p.rows)-1] = p.cur.rows
	return nil
}

// Open makes sure part 1 exists, so that a period without rows still gets its file.
func (p *Parts) Open() error {
	if len(p.rows) > 0 {
		return nil
	}
	return p.next()
}

func (p *Parts) next() error {
	if len(p.rows) > 0 {
		if err := p.cur.Close(); err != nil {
			return err
		}
	}
	w, err := p.open(len(p.rows) + 1)
	if err != nil {
		return err
	}
	if p.cur, err = newWriter(w, false, p.header); err != nil {
		return err
	}
	p.rows = append(p.rows, 0)
	return nil
}

// Close flushes the last part.
func (p *Parts) Close() error {
	if len(p.rows) == 0 {
		return nil
	}
	return p.cur.Close()
}

// Rows returns the data rows of each part opened, in order.
func (p *Parts) Rows() []int { return p.rows }
