package xlsx

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/revledger/revledger/transform"
	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"
)

// MaxRows is the number of rows of an Excel worksheet.
const MaxRows = 1_048_576

// maxSheetName is Excel's limit on the length of a sheet name.
const maxSheetName = 31

// column describes one column of a streamed sheet.
type column struct {
	title string
	width float64
	style int // column style, so cells typed into an empty row look right too
	num   bool
}

func col(title string, width float64, style int) column {
	return column{title: title, width: width, style: style}
}

// numeric marks a column of figures: its header is right-aligned over them.
func numeric(title string, width float64, style int) column {
	return column{title: title, width: width, style: style, num: true}
}

// stream is a sheet written with a StreamWriter that continues on "Name (2)" when it is
// full: the continuation repeats the header, the frozen pane, the widths and the table.
type stream struct {
	wb     *Workbook
	base   string
	cols   []column
	part   int // 1 for the first sheet
	name   string
	sw     *excelize.StreamWriter
	row    int // last row written
	last   int // last data row of the current part: the table ends there
	total  int // data rows over every part
	header []any

	// cells holds one excelize.Cell per column, reused by every row: SetRow takes *Cell, so a
	// row costs no Cell boxing, and a cell whose value equals the previous row's keeps its
	// boxed value (dates, currencies, account names and states repeat down a column).
	cells []excelize.Cell
	buf   []any
}

func newStream(wb *Workbook, base string, cols []column) *stream {
	s := &stream{wb: wb, base: base, cols: cols, cells: make([]excelize.Cell, len(cols))}
	s.header = make([]any, len(cols))
	for i, c := range cols {
		style := wb.st.header
		if c.num {
			style = wb.st.headerR
		}
		s.header[i] = excelize.Cell{StyleID: style, Value: c.title}
	}
	return s
}

// SheetName returns the name of part n of a sheet: base for the first, "base (n)" after,
// shortened to Excel's 31 characters and cleared of the characters Excel forbids.
func SheetName(base string, n int) string {
	base = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '_'
		}
		return r
	}, base)
	suffix := ""
	if n > 1 {
		suffix = " (" + strconv.Itoa(n) + ")"
	}
	if r := []rune(base); len(r)+len([]rune(suffix)) > maxSheetName {
		base = string(r[:maxSheetName-len([]rune(suffix))])
	}
	return strings.Trim(base, "'") + suffix
}

// open starts the next part. The first part's sheet was created in order by New; a
// continuation is created now and moved right after the part it continues.
func (s *stream) open() error {
	s.part++
	prev := s.name
	s.name = SheetName(s.base, s.part)
	f := s.wb.f
	if s.part > 1 {
		if _, err := f.NewSheet(s.name); err != nil {
			return fmt.Errorf("create sheet %q: %w", s.name, err)
		}
		if next := s.wb.sheetAfter(prev); next != "" {
			if err := f.MoveSheet(s.name, next); err != nil {
				return fmt.Errorf("move sheet %q: %w", s.name, err)
			}
		}
		if err := s.wb.pageSetup(s.name); err != nil {
			return err
		}
	}
	sw, err := f.NewStreamWriter(s.name)
	if err != nil {
		return fmt.Errorf("stream sheet %q: %w", s.name, err)
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("freeze header of %q: %w", s.name, err)
	}
	for i, c := range s.cols {
		if err := sw.SetColWidth(i+1, i+1, c.width); err != nil {
			return fmt.Errorf("width of %q column %d: %w", s.name, i+1, err)
		}
		if c.style != 0 {
			if err := sw.SetColStyle(i+1, i+1, c.style); err != nil {
				return fmt.Errorf("style of %q column %d: %w", s.name, i+1, err)
			}
		}
	}
	s.sw, s.row, s.last = sw, 0, 0
	return s.write(s.header, excelize.RowOpts{Height: 30})
}

// add writes one data row, continuing on a new sheet when this one is full.
func (s *stream) add(cells []any) error {
	if s.sw == nil || s.row >= s.wb.rowLimit {
		if err := s.close(); err != nil {
			return err
		}
		if err := s.open(); err != nil {
			return err
		}
	}
	s.total++
	if err := s.write(cells); err != nil {
		return err
	}
	s.last = s.row
	return nil
}

// begin starts building a data row with the methods below; end writes it.
func (s *stream) begin() { s.buf = s.buf[:0] }

// end writes the row built since begin.
func (s *stream) end() error { return s.add(s.buf) }

// next returns the reusable cell of the row's next column.
func (s *stream) next(style int) *excelize.Cell {
	i := len(s.buf)
	if i >= len(s.cells) { // more cells than columns: never for the sheets here
		s.cells = append(s.cells, make([]excelize.Cell, i+1-len(s.cells))...)
	}
	c := &s.cells[i]
	c.StyleID, c.Formula = style, ""
	s.buf = append(s.buf, c)
	return c
}

// empty leaves the next cell blank.
func (s *stream) empty() { s.buf = append(s.buf, nil) }

// str appends a text cell, or a blank for "". A StreamWriter writes a Go string as an
// inline string, never as a formula, whatever its first character. Style 0 leaves the
// column's style.
func (s *stream) str(style int, v string) {
	if v == "" {
		s.empty()
		return
	}
	c := s.next(style)
	if old, ok := c.Value.(string); !ok || old != v {
		c.Value = v
	}
}

// num appends a number cell.
func (s *stream) num(style int, v float64) {
	c := s.next(style)
	if old, ok := c.Value.(float64); !ok || old != v {
		c.Value = v
	}
}

// date appends a date cell, or a blank for the zero time.
func (s *stream) date(t time.Time, style int) {
	if t.IsZero() {
		s.empty()
		return
	}
	s.num(style, excelDate(t))
}

// money appends an amount cell: rounded to the currency's minor units, then a float.
func (s *stream) money(d decimal.Decimal, currency string) error {
	places := transform.MinorUnits(currency)
	style, err := s.wb.st.amount(places)
	if err != nil {
		return err
	}
	s.num(style, toFloat(d.Round(places)))
	return nil
}

// debitCredit appends a signed amount as two cells, debit then credit, the other one empty:
// an accountant reads a journal in columns, never by sign.
func (s *stream) debitCredit(d decimal.Decimal, currency string) error {
	if d.IsNegative() {
		s.empty()
		return s.money(d.Neg(), currency)
	}
	if err := s.money(d, currency); err != nil {
		return err
	}
	s.empty()
	return nil
}

// integer appends a whole-number cell in the column's style. (Boxing an int below 256, such as
// a line's version, does not allocate.)
func (s *stream) integer(v int) { s.next(0).Value = v }

func (s *stream) write(cells []any, opts ...excelize.RowOpts) error {
	s.row++
	cell, _ := excelize.CoordinatesToCellName(1, s.row) // row ≤ MaxRows, column 1: always valid
	if err := s.sw.SetRow(cell, cells, opts...); err != nil {
		return fmt.Errorf("write %s!%s: %w", s.name, cell, err)
	}
	return nil
}

// close ends the current part: a table over its rows (filter buttons, banded rows) and the
// flush. A sheet with only its header gets no table: Excel needs a data row in a table.
func (s *stream) close() error {
	if s.sw == nil {
		return nil
	}
	if s.last > 1 {
		last, _ := excelize.CoordinatesToCellName(len(s.cols), s.last)
		s.wb.tables++
		if err := s.sw.AddTable(&excelize.Table{
			Range:     "A1:" + last,
			Name:      "T" + strconv.Itoa(s.wb.tables) + "_" + tableName(s.base),
			StyleName: "TableStyleLight9",
		}); err != nil {
			return fmt.Errorf("table on %q: %w", s.name, err)
		}
	}
	if err := s.sw.Flush(); err != nil {
		return fmt.Errorf("flush sheet %q: %w", s.name, err)
	}
	s.sw = nil
	return nil
}

// tableName keeps the letters and digits of a sheet name: table names allow no spaces.
func tableName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}
