package revolut_test

import (
	"testing"

	"github.com/revledger/revledger/extract/revolut"
)

func TestSniffContentType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		head     string
		wantType string
		wantExt  string
	}{
		{"pdf", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf", ".pdf"},
		{"png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png", ".png"},
		{"jpeg", "\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg", ".jpg"},
		{"webp", "RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp", ".webp"},
		{"heic", "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "image/heic", ".heic"},
		{"heif", "\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", "image/heif", ".heif"},
		{"gif", "GIF89a\x01\x00\x01\x00", "image/gif", ".gif"},
		{"text", "Thank you for your purchase", "text/plain", ".txt"},
		{"unknown binary", "\x00\x01\x02\x03\x04\x05\x06\x07", "application/octet-stream", ".bin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ct, ext := revolut.SniffContentType([]byte(tt.head))
			if ct != tt.wantType || ext != tt.wantExt {
				t.Errorf("SniffContentType = %q, %q; want %q, %q", ct, ext, tt.wantType, tt.wantExt)
			}
		})
	}
}
