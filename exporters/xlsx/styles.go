package xlsx

import (
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Number formats. Dates are unambiguous in every locale (04 Mar 2024); amounts show two,
// zero or three decimals as the currency has, with negatives in red.
const (
	fmtDate     = "dd mmm yyyy"
	fmtDateTime = "dd mmm yyyy hh:mm"
	fmtPercent  = "0.00%"
	fmtInteger  = "#,##0"
	fmtRate     = "0.0000######" // an exchange rate: at least 4 decimals, up to 10
	fmtText     = 49             // built-in "@": what a user types in a code cell stays text
)

type styles struct {
	f        *excelize.File
	header   int
	headerR  int // header of a numeric column: right-aligned over its figures
	center   int
	date     int
	dateTime int
	text     int
	percent  int
	integer  int
	rate     int
	link     int
	bold     int
	pass     int
	fail     int
	warn     int
	amounts  map[int32]int // decimals → style
	failAmts map[int32]int // decimals → style of an amount that should be zero and is not
}

func newStyles(f *excelize.File) (*styles, error) {
	s := &styles{f: f, amounts: map[int32]int{}, failAmts: map[int32]int{}}
	var err error
	mk := func(st *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = f.NewStyle(st)
		return id
	}
	custom := func(v string) *string { return &v }
	s.header = mk(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
		Border:    []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}},
	})
	s.headerR = mk(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
		Alignment: &excelize.Alignment{Horizontal: "right", Vertical: "center", WrapText: true},
		Border:    []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}},
	})
	s.center = mk(&excelize.Style{Alignment: &excelize.Alignment{Horizontal: "center"}})
	s.date = mk(&excelize.Style{CustomNumFmt: custom(fmtDate), Alignment: &excelize.Alignment{Horizontal: "left"}})
	s.dateTime = mk(&excelize.Style{CustomNumFmt: custom(fmtDateTime), Alignment: &excelize.Alignment{Horizontal: "left"}})
	s.text = mk(&excelize.Style{NumFmt: fmtText})
	s.percent = mk(&excelize.Style{CustomNumFmt: custom(fmtPercent)})
	s.integer = mk(&excelize.Style{CustomNumFmt: custom(fmtInteger)})
	s.rate = mk(&excelize.Style{CustomNumFmt: custom(fmtRate)})
	s.link = mk(&excelize.Style{Font: &excelize.Font{Color: "0563C1", Underline: "single"}})
	s.bold = mk(&excelize.Style{Font: &excelize.Font{Bold: true}})
	s.pass = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "006100"}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"C6EFCE"}}})
	s.fail = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "9C0006"}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}})
	s.warn = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "9C5700"}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFEB9C"}}})
	if err != nil {
		return nil, fmt.Errorf("create cell styles: %w", err)
	}
	return s, nil
}

// amount returns the number style for amounts with the given decimals, created on first use.
func (s *styles) amount(decimals int32) (int, error) {
	return s.amountStyle(s.amounts, decimals, nil)
}

// failAmount is amount on the fail style's red fill: a difference that should be zero.
func (s *styles) failAmount(decimals int32) (int, error) {
	return s.amountStyle(s.failAmts, decimals, &excelize.Style{
		Font: &excelize.Font{Bold: true, Color: "9C0006"}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}})
}

func (s *styles) amountStyle(cache map[int32]int, decimals int32, base *excelize.Style) (int, error) {
	if id, ok := cache[decimals]; ok {
		return id, nil
	}
	pattern := "#,##0"
	if decimals > 0 {
		pattern += "." + strings.Repeat("0", int(decimals))
	}
	numFmt := pattern + ";[Red]-" + pattern
	st := excelize.Style{}
	if base != nil {
		st = *base
	}
	st.CustomNumFmt = &numFmt
	id, err := s.f.NewStyle(&st)
	if err != nil {
		return 0, fmt.Errorf("create amount style: %w", err)
	}
	cache[decimals] = id
	return id, nil
}
