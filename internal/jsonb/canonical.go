package jsonb

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"unicode/utf8"
)

// Limits beyond which Canonical refuses a document that PostgreSQL might still accept. They
// are far beyond anything an API sends, and erring on the side of refusing is what keeps a
// refused record in quarantine instead of failing the write of its whole batch.
const (
	// MaxDepth is the deepest nesting of arrays and objects accepted.
	MaxDepth = 1000
	// MaxNumberDigits bounds each side of a number's decimal point as PostgreSQL prints it
	// (numeric allows 131072 before and 16383 after).
	MaxNumberDigits = 1000
)

// Canonical appends to dst the text PostgreSQL prints for src cast to jsonb (`src::jsonb::text`
// in a UTF-8 database), or returns an error saying why PostgreSQL would refuse src.
//
// The text is jsonb's: object keys sorted by byte length and then bytewise, a repeated key
// keeping its last value, ", " and ": " as the only whitespace, strings with their escapes
// decoded and only '"', '\\' and control characters escaped, and numbers as numeric prints
// them (no exponent; as many fraction digits as the input had, less its exponent).
func Canonical(dst, src []byte) ([]byte, error) {
	if !utf8.Valid(src) {
		return dst, errors.New("not valid UTF-8")
	}
	p := parsers.Get().(*parser)
	defer parsers.Put(p)
	p.src, p.i = src, 0
	p.space()
	out, err := p.value(dst, 0)
	if err == nil {
		p.space()
		if p.i < len(p.src) {
			err = p.errorf("unexpected %q after the JSON value", p.src[p.i])
		}
	}
	p.src = nil
	if err != nil {
		return dst, err
	}
	return out, nil
}

// parsers keep their scratch space between documents: a load canonicalizes 10^5 of them.
var parsers = sync.Pool{New: func() any { return new(parser) }}

// parser reads one JSON document. Objects are assembled in per-depth scratch space (their
// members must be sorted before they are written), reused across the objects of a document.
type parser struct {
	src     []byte
	i       int
	scratch [][]byte   // per depth: the decoded keys and encoded values of the object being read
	members [][]member // per depth: where each member lies in scratch
	tmp     []byte     // a string value, decoded
}

type member struct {
	keyFrom, keyTo, valTo int // key is scratch[keyFrom:keyTo], value scratch[keyTo:valTo]
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("%s, at byte %d", fmt.Sprintf(format, args...), p.i)
}

func (p *parser) space() {
	for p.i < len(p.src) {
		switch p.src[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value(out []byte, depth int) ([]byte, error) {
	if p.i >= len(p.src) {
		return out, p.errorf("unexpected end of input")
	}
	switch c := p.src[p.i]; {
	case c == '{':
		return p.object(out, depth+1)
	case c == '[':
		return p.array(out, depth+1)
	case c == '"':
		// Most strings have no escape: their jsonb text is their JSON text, quotes and all.
		if end, plain := p.plainString(); plain {
			out = append(out, p.src[p.i:end]...)
			p.i = end
			return out, nil
		}
		var err error
		if p.tmp, err = p.str(p.tmp[:0]); err != nil {
			return out, err
		}
		return appendQuoted(out, p.tmp), nil
	case c == '-' || ('0' <= c && c <= '9'):
		return p.number(out)
	default:
		for _, lit := range literals {
			if bytes.HasPrefix(p.src[p.i:], lit) {
				p.i += len(lit)
				if err := p.delimited(); err != nil {
					return out, err
				}
				return append(out, lit...), nil
			}
		}
		return out, p.errorf("unexpected %q", c)
	}
}

var literals = [][]byte{[]byte("true"), []byte("false"), []byte("null")}

// delimited checks that a literal or number is not run together with what follows ("truex",
// "1a"), which PostgreSQL's lexer refuses as one invalid token.
func (p *parser) delimited() error {
	if p.i < len(p.src) {
		switch c := p.src[p.i]; c {
		case ' ', '\t', '\n', '\r', ',', ']', '}', ':':
		default:
			return p.errorf("unexpected %q after a value", c)
		}
	}
	return nil
}

func (p *parser) array(out []byte, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return out, p.errorf("nested deeper than %d levels", MaxDepth)
	}
	p.i++ // [
	out = append(out, '[')
	p.space()
	if p.i < len(p.src) && p.src[p.i] == ']' {
		p.i++
		return append(out, ']'), nil
	}
	for n := 0; ; n++ {
		if n > 0 {
			out = append(out, ", "...)
		}
		p.space()
		var err error
		if out, err = p.value(out, depth); err != nil {
			return out, err
		}
		p.space()
		if p.i >= len(p.src) {
			return out, p.errorf("unterminated array")
		}
		switch p.src[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return append(out, ']'), nil
		default:
			return out, p.errorf("expected ',' or ']' in an array, found %q", p.src[p.i])
		}
	}
}

func (p *parser) object(out []byte, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return out, p.errorf("nested deeper than %d levels", MaxDepth)
	}
	p.i++ // {
	p.space()
	if p.i < len(p.src) && p.src[p.i] == '}' {
		p.i++
		return append(out, "{}"...), nil
	}
	for len(p.scratch) <= depth {
		p.scratch = append(p.scratch, nil)
		p.members = append(p.members, nil)
	}
	buf, ms := p.scratch[depth][:0], p.members[depth][:0]
	for {
		p.space()
		if p.i >= len(p.src) || p.src[p.i] != '"' {
			return out, p.errorf("expected a string key in an object")
		}
		var err error
		m := member{keyFrom: len(buf)}
		if buf, err = p.str(buf); err != nil {
			return out, err
		}
		m.keyTo = len(buf)
		p.space()
		if p.i >= len(p.src) || p.src[p.i] != ':' {
			return out, p.errorf("expected ':' after an object key")
		}
		p.i++
		p.space()
		if buf, err = p.value(buf, depth); err != nil {
			return out, err
		}
		m.valTo = len(buf)
		ms = append(ms, m)
		p.space()
		if p.i >= len(p.src) {
			return out, p.errorf("unterminated object")
		}
		if p.src[p.i] == '}' {
			p.i++
			break
		}
		if p.src[p.i] != ',' {
			return out, p.errorf("expected ',' or '}' in an object, found %q", p.src[p.i])
		}
		p.i++
	}
	// jsonb's order: shorter keys first, then bytewise; of equal keys the last one read wins
	// (a stable sort keeps them in input order, and the last of each run is kept).
	key := func(m member) []byte { return buf[m.keyFrom:m.keyTo] }
	slices.SortStableFunc(ms, func(a, b member) int {
		ka, kb := key(a), key(b)
		if len(ka) != len(kb) {
			return len(ka) - len(kb)
		}
		return bytes.Compare(ka, kb)
	})
	out = append(out, '{')
	first := true
	for i, m := range ms {
		if i+1 < len(ms) && bytes.Equal(key(m), key(ms[i+1])) {
			continue
		}
		if !first {
			out = append(out, ", "...)
		}
		first = false
		out = appendQuoted(out, key(m))
		out = append(out, ": "...)
		out = append(out, buf[m.keyTo:m.valTo]...)
	}
	p.scratch[depth], p.members[depth] = buf, ms
	return append(out, '}'), nil
}

// special marks the bytes that end a run of plain string content: the closing quote, the
// start of an escape, and the control characters (which must be escaped in JSON, and are in
// jsonb's text).
var special = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// plainString reports whether the string literal at p.i has no escape and no control
// character, and where it ends (just past its closing quote).
func (p *parser) plainString() (end int, plain bool) {
	j := p.i + 1
	for j < len(p.src) && !special[p.src[j]] {
		j++
	}
	if j < len(p.src) && p.src[j] == '"' {
		return j + 1, true
	}
	return 0, false
}

// str reads a string literal at p.i and appends its decoded bytes to out.
func (p *parser) str(out []byte) ([]byte, error) {
	p.i++ // "
	for {
		start := p.i
		for p.i < len(p.src) && !special[p.src[p.i]] {
			p.i++
		}
		out = append(out, p.src[start:p.i]...)
		if p.i >= len(p.src) {
			return out, p.errorf("unterminated string")
		}
		switch c := p.src[p.i]; {
		case c == '"':
			p.i++
			return out, nil
		case c < 0x20:
			return out, p.errorf("control character 0x%02x in a string must be escaped", c)
		}
		// A backslash escape.
		if p.i+1 >= len(p.src) {
			return out, p.errorf("unterminated string")
		}
		esc := p.src[p.i+1]
		p.i += 2
		switch esc {
		case '"', '\\', '/':
			out = append(out, esc)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, err := p.unicodeEscape()
			if err != nil {
				return out, err
			}
			out = utf8.AppendRune(out, r)
		default:
			return out, p.errorf("invalid escape \\%c", esc)
		}
	}
}

// unicodeEscape reads the XXXX of \uXXXX (p.i is just past the u), and a following \uXXXX
// when the first is a high surrogate.
func (p *parser) unicodeEscape() (rune, error) {
	r, ok := p.hex4()
	if !ok {
		return 0, p.errorf(`"\u" must be followed by four hexadecimal digits`)
	}
	switch {
	case r == 0:
		return 0, p.errorf(`\u0000: PostgreSQL text holds no NUL character`)
	case 0xDC00 <= r && r <= 0xDFFF:
		return 0, p.errorf("a Unicode low surrogate must follow a high surrogate")
	case 0xD800 <= r && r <= 0xDBFF:
		if p.i+1 >= len(p.src) || p.src[p.i] != '\\' || p.src[p.i+1] != 'u' {
			return 0, p.errorf("a Unicode high surrogate must be followed by a low surrogate")
		}
		p.i += 2
		lo, ok := p.hex4()
		if !ok {
			return 0, p.errorf(`"\u" must be followed by four hexadecimal digits`)
		}
		if lo < 0xDC00 || lo > 0xDFFF {
			return 0, p.errorf("a Unicode high surrogate must be followed by a low surrogate")
		}
		return 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), nil
	}
	return r, nil
}

func (p *parser) hex4() (rune, bool) {
	if p.i+4 > len(p.src) {
		return 0, false
	}
	var r rune
	for _, c := range p.src[p.i : p.i+4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	p.i += 4
	return r, true
}

// appendQuoted appends s as jsonb prints a string (PostgreSQL's escape_json): '"', '\\' and
// the control characters escaped, every other byte as it is.
func appendQuoted(out, s []byte) []byte {
	const hex = "0123456789abcdef"
	out = append(out, '"')
	start := 0
	for i, c := range s {
		if !special[c] {
			continue
		}
		var esc string
		switch c {
		case '"':
			esc = `\"`
		case '\\':
			esc = `\\`
		case '\b':
			esc = `\b`
		case '\f':
			esc = `\f`
		case '\n':
			esc = `\n`
		case '\r':
			esc = `\r`
		case '\t':
			esc = `\t`
		}
		out = append(out, s[start:i]...)
		if esc != "" {
			out = append(out, esc...)
		} else {
			out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		start = i + 1
	}
	out = append(out, s[start:]...)
	return append(out, '"')
}

// number reads a JSON number and appends it as PostgreSQL's numeric prints it: the digits
// shifted by the exponent, without leading zeros (but one before the point), with
// max(0, fraction digits − exponent) digits after the point, and no sign on zero.
func (p *parser) number(out []byte) ([]byte, error) {
	neg := false
	if p.src[p.i] == '-' {
		neg = true
		p.i++
	}
	digits := func() []byte {
		start := p.i
		for p.i < len(p.src) && '0' <= p.src[p.i] && p.src[p.i] <= '9' {
			p.i++
		}
		return p.src[start:p.i]
	}
	intPart := digits()
	if len(intPart) == 0 {
		return out, p.errorf("a number needs a digit")
	}
	if len(intPart) > 1 && intPart[0] == '0' {
		return out, p.errorf("a number cannot have a leading zero")
	}
	var frac []byte
	if p.i < len(p.src) && p.src[p.i] == '.' {
		p.i++
		if frac = digits(); len(frac) == 0 {
			return out, p.errorf("a number needs a digit after the decimal point")
		}
	}
	exp := 0
	if p.i < len(p.src) && (p.src[p.i] == 'e' || p.src[p.i] == 'E') {
		p.i++
		expNeg := false
		if p.i < len(p.src) && (p.src[p.i] == '+' || p.src[p.i] == '-') {
			expNeg = p.src[p.i] == '-'
			p.i++
		}
		e := digits()
		if len(e) == 0 {
			return out, p.errorf("a number needs a digit in its exponent")
		}
		for _, c := range e {
			exp = exp*10 + int(c-'0')
			if exp > 10*MaxNumberDigits {
				return out, p.errorf("number exponent beyond %d", 10*MaxNumberDigits)
			}
		}
		if expNeg {
			exp = -exp
		}
	}
	if err := p.delimited(); err != nil {
		return out, err
	}

	// The digits are intPart then frac; the decimal point falls after point of them (point
	// may lie outside them: zeros fill in on either side).
	n := len(intPart) + len(frac)
	digitAt := func(k int) byte {
		switch {
		case k < 0 || k >= n:
			return '0'
		case k < len(intPart):
			return intPart[k]
		default:
			return frac[k-len(intPart)]
		}
	}
	point := len(intPart) + exp
	firstNonZero := max(n, point) // for zero, every digit before the point is a leading zero
	for k := range n {
		if digitAt(k) != '0' {
			firstNonZero = k
			break
		}
	}
	zero := firstNonZero >= n
	scale := max(0, len(frac)-exp)
	lead := min(firstNonZero, max(point, 0)) // integer-part digits that are leading zeros
	intDigits := max(0, point-lead)
	if intDigits > MaxNumberDigits || scale > MaxNumberDigits {
		return out, p.errorf("number has more than %d digits on one side of the point", MaxNumberDigits)
	}
	if neg && !zero {
		out = append(out, '-')
	}
	if intDigits == 0 {
		out = append(out, '0')
	}
	for k := lead; k < point; k++ {
		out = append(out, digitAt(k))
	}
	if scale > 0 {
		out = append(out, '.')
		for k := point; k < point+scale; k++ {
			out = append(out, digitAt(k))
		}
	}
	return out, nil
}
