package sink

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// receiptExt is the allow-list of the types a receipt keeps, with the extension it is stored
// under. Receipts are linked from the workbook and served from the bucket's origin, so a
// file sniffed as anything else (HTML, SVG, plain text that a browser might render...) is
// stored as an opaque download instead: see OpaqueType.
var receiptExt = map[string]string{
	"application/pdf": "pdf",
	"image/jpeg":      "jpg",
	"image/png":       "png",
	"image/gif":       "gif",
	"image/webp":      "webp",
	"image/heic":      "heic",
	"image/tiff":      "tiff",
}

// OpaqueType is the content type of a receipt whose sniffed type is not on the allow-list. It
// is stored with extension .bin and, on S3, with Content-Disposition: attachment, so that
// neither a browser following the workbook's link nor the folder's file manager renders it.
const OpaqueType = "application/octet-stream"

// attachment is the Content-Disposition of an opaque receipt.
const attachment = "attachment"

// ReceiptsFolder is the folder every receipt is stored under.
const ReceiptsFolder = "receipts/"

// ReceiptPrefix is the folder of one expense's receipts.
func ReceiptPrefix(expenseID string) string { return ReceiptsFolder + expenseID + "/" }

// ReceiptKey is where a receipt of the given content type is stored:
// receipts/{expense_id}/{receipt_id}.{ext}, ext "bin" for a type off the allow-list.
func ReceiptKey(expenseID, receiptID, contentType string) string {
	ext, ok := receiptExt[baseType(contentType)]
	if !ok {
		ext = "bin"
	}
	return ReceiptPrefix(expenseID) + receiptID + "." + ext
}

func baseType(contentType string) string {
	if t, _, err := mime.ParseMediaType(contentType); err == nil {
		return t
	}
	return strings.ToLower(contentType)
}

// maxIDLen bounds an id that becomes a file name: most file systems refuse names over 255
// bytes, and Revolut's ids are UUIDs.
const maxIDLen = 200

// CheckReceiptIDs reports whether an expense id and a receipt id can name a receipt's object:
// not empty, not "." or "..", at most 200 bytes, valid UTF-8 without slashes, backslashes or
// control characters (a NUL, which PostgreSQL's text refuses too, or a newline). Callers check
// before downloading, so a hostile id costs no request.
func CheckReceiptIDs(expenseID, receiptID string) error {
	if err := checkID("expense", expenseID); err != nil {
		return err
	}
	return checkID("receipt", receiptID)
}

func checkID(kind, id string) error {
	// An id starting like the folder sink's temporary files would be taken for one of them
	// (skipped by List, removed as stale), and so stored again every run.
	bad := id == "" || id == "." || id == ".." || len(id) > maxIDLen || !utf8.ValidString(id) ||
		strings.HasPrefix(id, tmpPrefix) ||
		strings.ContainsFunc(id, func(r rune) bool { return r == '/' || r == '\\' || unicode.IsControl(r) })
	if bad {
		return fmt.Errorf("sink: invalid %s id %q", kind, id)
	}
	return nil
}

// Putter stores objects (both sinks are Putters).
type Putter interface {
	Put(ctx context.Context, key string, r io.Reader, meta Meta) (ObjectInfo, error)
}

// PutReceipt stores a receipt under ReceiptKey, its content type sniffed from the first 512
// bytes (what Revolut declares is not always what the file is). A type off the allow-list is
// stored as OpaqueType, as an attachment.
func PutReceipt(ctx context.Context, s Putter, expenseID, receiptID string, r io.Reader) (ObjectInfo, error) {
	if err := CheckReceiptIDs(expenseID, receiptID); err != nil {
		return ObjectInfo{}, err
	}
	br := bufio.NewReaderSize(r, 512)
	head, err := br.Peek(512)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return ObjectInfo{}, fmt.Errorf("read receipt %s: %w", receiptID, err)
	}
	meta := ReceiptMeta(head)
	info, err := s.Put(ctx, ReceiptKey(expenseID, receiptID, meta.ContentType), br, meta)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("store receipt %s of expense %s: %w", receiptID, expenseID, err)
	}
	return info, nil
}

// ReceiptMeta is how a receipt starting with head is stored: its sniffed type when that is on
// the allow-list, else OpaqueType as an attachment.
func ReceiptMeta(head []byte) Meta {
	ct := sniff(head)
	if _, ok := receiptExt[ct]; !ok {
		return Meta{ContentType: OpaqueType, ContentDisposition: attachment}
	}
	return Meta{ContentType: ct}
}

// sniff returns the media type (without parameters) of content starting with head:
// http.DetectContentType, plus the TIFF and HEIC signatures it does not know.
func sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return "image/tiff"
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		switch string(head[8:12]) {
		case "heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs", "mif1", "msf1":
			return "image/heic"
		}
	}
	return baseType(http.DetectContentType(head))
}

// Lister lists objects (both sinks are Listers).
type Lister interface {
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
}
