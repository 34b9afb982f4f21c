package revolut

import (
	"bytes"
	"mime"
	"net/http"
)

// sniffLen is how many leading bytes decide a receipt's type (http.DetectContentType reads at
// most 512).
const sniffLen = 512

// sniffContentType names the type of a receipt from its first bytes and gives a file
// extension for it. Formats phones produce that the standard sniffer does not know (HEIC) are
// recognised first.
func sniffContentType(head []byte) (contentType, ext string) {
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return "application/pdf", ".pdf"
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png", ".png"
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return "image/jpeg", ".jpg"
	case len(head) >= 12 && bytes.Equal(head[0:4], []byte("RIFF")) && bytes.Equal(head[8:12], []byte("WEBP")):
		return "image/webp", ".webp"
	case len(head) >= 12 && bytes.Equal(head[4:8], []byte("ftyp")):
		switch string(head[8:12]) {
		case "heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs":
			return "image/heic", ".heic"
		case "mif1", "msf1":
			return "image/heif", ".heif"
		case "avif", "avis":
			return "image/avif", ".avif"
		}
	}
	ct := http.DetectContentType(head)
	mediaType, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "application/octet-stream", ".bin"
	}
	if ext, ok := knownExtensions[mediaType]; ok {
		return mediaType, ext
	}
	return mediaType, ".bin"
}

// knownExtensions maps the types http.DetectContentType reports for plausible receipts.
var knownExtensions = map[string]string{
	"application/pdf":  ".pdf",
	"image/png":        ".png",
	"image/jpeg":       ".jpg",
	"image/gif":        ".gif",
	"image/webp":       ".webp",
	"image/bmp":        ".bmp",
	"image/x-icon":     ".ico",
	"text/plain":       ".txt",
	"text/html":        ".html",
	"text/xml":         ".xml",
	"application/zip":  ".zip",
	"application/json": ".json",
}
