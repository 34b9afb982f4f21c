package revoluttest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"sync"
)

// Receipt formats. Receipts are rendered on demand from their id rather than stored, so a
// history with hundreds of thousands of receipts costs no memory.
const (
	receiptPDF = iota
	receiptJPEG
	receiptPNG
)

// receiptContent returns the content type and bytes of a receipt: a small but genuine PDF,
// JPEG or PNG whose bytes depend on the receipt id.
func receiptContent(rc receipt) (string, []byte) {
	switch rc.format {
	case receiptJPEG:
		var buf bytes.Buffer
		_ = jpeg.Encode(&buf, receiptImage(rc.id), &jpeg.Options{Quality: 60})
		return "image/jpeg", buf.Bytes()
	case receiptPNG:
		var buf bytes.Buffer
		_ = pngEncoder.Encode(&buf, receiptImage(rc.id))
		return "image/png", buf.Bytes()
	}
	return "application/pdf", receiptPDFBytes(rc.id)
}

// pngEncoder reuses its compressor: setting up a zlib writer per receipt dominated the
// cost of building a dataset's receipts.
var pngEncoder = &png.Encoder{BufferPool: &pngPool{}}

type pngPool struct{ p sync.Pool }

func (p *pngPool) Get() *png.EncoderBuffer {
	b, _ := p.p.Get().(*png.EncoderBuffer)
	return b
}

func (p *pngPool) Put(b *png.EncoderBuffer) { p.p.Put(b) }

// receiptImage is a 16×16 picture coloured by the id, so that every receipt differs.
func receiptImage(id uuid) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for y := range 16 {
		for x := range 16 {
			img.Set(x, y, color.RGBA{R: id[0] ^ byte(x*8), G: id[1] ^ byte(y*8), B: id[2], A: 255})
		}
	}
	return img
}

// receiptPDFBytes builds a one-page PDF with a correct cross-reference table.
func receiptPDFBytes(id uuid) []byte {
	text := fmt.Sprintf("BT /F1 12 Tf 36 100 Td (Receipt %s) Tj ET", id)
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(text), text),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}
