package xlsx

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/revledger/revledger/transform"
	"github.com/shopspring/decimal"
)

// split is what the Expenses sheet shows of an expense split: amounts rounded to the
// currency's minor units and kept exact (they become floats only in the cell), and no
// transform.Line. Strings are substrings of one record string (see spool.read).
type split struct {
	date         float64 // Excel serial date; hasDate false for a zero BookingDate
	hasDate      bool
	holder       string
	merchant     string
	description  string
	categoryCode string
	categoryName string
	amountStyle  int
	net          spoolNum
	tax          spoolNum
	gross        spoolNum
	rate         spoolNum // fraction (20% is 0.2)
	taxRateName  string
	currency     string
	labels       []string // group, name, group, name...
	expenseState string
	expenseID    string
	receiptIDs   []string
	entryID      string
}

// spoolNum is an exact decimal, coef × 10^exp, without the allocations of a decimal.Decimal;
// a value whose coefficient does not fit an int64 is kept as its text in big.
type spoolNum struct {
	coef  int64
	exp   int32
	big   string
	valid bool
}

func spoolDecimal(d decimal.NullDecimal) spoolNum {
	if !d.Valid {
		return spoolNum{}
	}
	if d.Decimal.NumDigits() > 18 {
		return spoolNum{big: d.Decimal.String(), valid: true}
	}
	return spoolNum{coef: d.Decimal.CoefficientInt64(), exp: d.Decimal.Exponent(), valid: true}
}

// float is the cell value: the nearest float64.
func (n spoolNum) float() float64 {
	if n.big != "" {
		return toFloat(decimal.RequireFromString(n.big)) // written by spoolDecimal: valid
	}
	return coefFloat(n.coef, n.exp)
}

// label returns the split's label of group g, "" when it has none.
func (s *split) label(g string) string {
	for i := 0; i+1 < len(s.labels); i += 2 {
		if s.labels[i] == g {
			return s.labels[i+1]
		}
	}
	return ""
}

// spool keeps the expense splits on disk until WriteTo, because the Expenses sheet's columns
// (one per label group, one per receipt) are known only after the last line. Each record is
// a length and then the fields in a fixed order: it replaces gob, whose reflection and
// per-field allocations cost more than the rest of the Expenses sheet's own work.
type spool struct {
	f   *os.File
	w   *bufio.Writer
	buf []byte // the record being encoded

	r    *bufio.Reader
	rbuf []byte
}

func newSpool(dir string) (*spool, error) {
	f, err := os.CreateTemp(dir, "revledger-expenses-*.bin")
	if err != nil {
		return nil, fmt.Errorf("create expense spool: %w", err)
	}
	return &spool{f: f, w: bufio.NewWriterSize(f, 1<<16)}, nil
}

// write appends the split of line l; amountStyle is the style of its currency's amounts.
func (s *spool) write(l *transform.Line, amountStyle int) error {
	b := s.buf[:0]
	str := func(v string) {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	// An exact decimal: 0 (none), 1 then coefficient and exponent, or 2 then its text.
	exact := func(n spoolNum) {
		switch {
		case !n.valid:
			b = append(b, 0)
		case n.big != "":
			b = append(b, 2)
			str(n.big)
		default:
			b = append(b, 1)
			b = binary.AppendVarint(b, n.coef)
			b = binary.AppendVarint(b, int64(n.exp))
		}
	}
	money := func(d decimal.NullDecimal) {
		if d.Valid {
			d.Decimal = d.Decimal.Round(transform.MinorUnits(l.Currency))
		}
		exact(spoolDecimal(d))
	}
	holder := l.CardHolder
	if holder == "" {
		holder = l.Counterparty
	}
	if l.BookingDate.IsZero() {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(excelDate(l.BookingDate)))
	}
	str(holder)
	str(l.Merchant)
	str(l.Description)
	str(l.CategoryCode)
	str(l.CategoryName)
	b = binary.AppendUvarint(b, uint64(amountStyle))
	money(l.Net)
	money(l.Tax)
	money(l.Gross)
	rate := l.TaxRatePercent
	if rate.Valid {
		rate.Decimal = rate.Decimal.Shift(-2)
	}
	exact(spoolDecimal(rate))
	str(l.TaxRateName)
	str(l.Currency)
	b = binary.AppendUvarint(b, uint64(len(l.Labels)))
	for g, name := range l.Labels {
		str(g)
		str(name)
	}
	str(l.ExpenseState)
	str(l.ExpenseID)
	b = binary.AppendUvarint(b, uint64(len(l.ReceiptIDs)))
	for _, id := range l.ReceiptIDs {
		str(id)
	}
	str(l.EntryID)
	s.buf = b

	var n [binary.MaxVarintLen64]byte
	if _, err := s.w.Write(n[:binary.PutUvarint(n[:], uint64(len(b)))]); err != nil {
		return err
	}
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	return nil
}

// rewind ends writing and starts reading from the first record.
func (s *spool) rewind() error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("flush expense spool: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind expense spool: %w", err)
	}
	s.r = bufio.NewReaderSize(s.f, 1<<16)
	return nil
}

var errSpool = errors.New("corrupt record")

// read decodes the next record into sp, reusing its slices. The record's bytes become one
// string and every text field is a substring of it: one allocation per split.
func (s *spool) read(sp *split) error {
	size, err := binary.ReadUvarint(s.r)
	if err != nil {
		return err
	}
	if cap(s.rbuf) < int(size) {
		s.rbuf = make([]byte, size)
	}
	s.rbuf = s.rbuf[:size]
	if _, err := io.ReadFull(s.r, s.rbuf); err != nil {
		return err
	}
	rec := string(s.rbuf)
	p := 0
	bad := false
	uv := func() uint64 {
		v, n := binary.Uvarint(s.rbuf[p:])
		if n <= 0 {
			bad = true
			return 0
		}
		p += n
		return v
	}
	str := func() string {
		n := uv()
		if bad || n > uint64(len(rec)-p) {
			bad = true
			return ""
		}
		v := rec[p : p+int(n)]
		p += int(n)
		return v
	}
	iv := func() int64 {
		v, n := binary.Varint(s.rbuf[p:])
		if n <= 0 {
			bad = true
			return 0
		}
		p += n
		return v
	}
	tag := func() byte {
		if bad || p >= len(rec) {
			bad = true
			return 0
		}
		p++
		return rec[p-1]
	}
	exact := func() spoolNum {
		switch tag() {
		case 0:
			return spoolNum{}
		case 1:
			coef := iv()
			exp := iv()
			return spoolNum{coef: coef, exp: int32(exp), valid: !bad}
		case 2:
			v := str()
			if _, err := decimal.NewFromString(v); err != nil {
				bad = true
			}
			return spoolNum{big: v, valid: !bad}
		}
		bad = true
		return spoolNum{}
	}
	sp.date, sp.hasDate = 0, false
	switch tag() {
	case 0:
	case 1:
		if len(rec)-p < 8 {
			bad = true
		} else {
			sp.date, sp.hasDate = math.Float64frombits(binary.LittleEndian.Uint64(s.rbuf[p:])), true
			p += 8
		}
	default:
		bad = true
	}
	sp.holder = str()
	sp.merchant = str()
	sp.description = str()
	sp.categoryCode = str()
	sp.categoryName = str()
	sp.amountStyle = int(uv())
	sp.net = exact()
	sp.tax = exact()
	sp.gross = exact()
	sp.rate = exact()
	sp.taxRateName = str()
	sp.currency = str()
	sp.labels = sp.labels[:0]
	for n := uv(); n > 0 && !bad; n-- {
		sp.labels = append(sp.labels, str(), str())
	}
	sp.expenseState = str()
	sp.expenseID = str()
	sp.receiptIDs = sp.receiptIDs[:0]
	for n := uv(); n > 0 && !bad; n-- {
		sp.receiptIDs = append(sp.receiptIDs, str())
	}
	sp.entryID = str()
	if bad || p != len(rec) {
		return errSpool
	}
	return nil
}

// Close closes and removes the spool file.
func (s *spool) Close() error {
	return errors.Join(s.f.Close(), os.Remove(s.f.Name()))
}
