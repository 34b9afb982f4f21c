package sink

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// receiptExt maps the content types a receipt comes in to the file extension it is stored
// with; anything else is stored as .bin with its sniffed type.
var receiptExt = map[string]string{
	"application/pdf": "pdf",
	"image/jpeg":      "jpg",
	"image/png":       "png",
	"image/gif":       "gif",
	"image/webp":      "webp",
	"image/bmp":       "bmp",
	"text/plain":      "txt",
	"text/html":       "html",
}

// ReceiptsFolder is the folder every receipt is stored under.
const ReceiptsFolder = "receipts/"

// ReceiptPrefix is the folder of one expense's receipts.
func ReceiptPrefix(expenseID string) string { return ReceiptsFolder + expenseID + "/" }

// ReceiptKey is where a receipt of the given content type is stored:
// receipts/{expense_id}/{receipt_id}.{ext}.
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

func checkID(kind, id string) error {
	if id == "" || strings.ContainsAny(id, `/\`) || id == "." || id == ".." {
		return fmt.Errorf("sink: invalid %s id %q", kind, id)
	}
	return nil
}

// Putter stores objects (both sinks are Putters).
type Putter interface {
	Put(ctx context.Context, key string, r io.Reader, meta Meta) (ObjectInfo, error)
}

// PutReceipt stores a receipt under ReceiptKey, its content type sniffed from the first 512
// bytes (what Revolut declares is not always what the file is).
func PutReceipt(ctx context.Context, s Putter, expenseID, receiptID string, r io.Reader) (ObjectInfo, error) {
	if err := checkID("expense", expenseID); err != nil {
		return ObjectInfo{}, err
	}
	if err := checkID("receipt", receiptID); err != nil {
		return ObjectInfo{}, err
	}
	br := bufio.NewReaderSize(r, 512)
	head, err := br.Peek(512)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return ObjectInfo{}, fmt.Errorf("read receipt %s: %w", receiptID, err)
	}
	ct := http.DetectContentType(head)
	info, err := s.Put(ctx, ReceiptKey(expenseID, receiptID, ct), br, Meta{ContentType: ct})
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("store receipt %s of expense %s: %w", receiptID, expenseID, err)
	}
	return info, nil
}

// Lister lists objects (both sinks are Listers).
type Lister interface {
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
}

// FindReceipt returns the stored receipt, whatever its extension, and true; false when it
// has not been stored yet. The pipeline calls it before downloading a receipt, so each one is
// downloaded once.
func FindReceipt(ctx context.Context, s Lister, expenseID, receiptID string) (ObjectInfo, bool, error) {
	if err := checkID("expense", expenseID); err != nil {
		return ObjectInfo{}, false, err
	}
	if err := checkID("receipt", receiptID); err != nil {
		return ObjectInfo{}, false, err
	}
	objs, err := s.List(ctx, ReceiptPrefix(expenseID)+receiptID+".")
	if err != nil {
		return ObjectInfo{}, false, fmt.Errorf("find receipt %s: %w", receiptID, err)
	}
	if len(objs) == 0 {
		return ObjectInfo{}, false, nil
	}
	return objs[0], true, nil
}
