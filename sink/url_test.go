package sink_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/revledger/revledger/sink"
)

// TestParseURL pins what an export URL means; the configuration check, the sink and the
// command's output all read URLs with ParseURL, so they cannot disagree again (they did on
// file://host/path: the sink took it as a relative folder, the check refused it, the output
// dropped the host).
func TestParseURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		raw  string
		want sink.Location
		path string // Path("2024-03/x.xlsx")
	}{
		{"file:///srv/books", sink.Location{Dir: "/srv/books"}, "/srv/books/2024-03/x.xlsx"},
		{"file:///srv/books/", sink.Location{Dir: "/srv/books/"}, "/srv/books/2024-03/x.xlsx"},
		{"/srv/books", sink.Location{Dir: "/srv/books"}, "/srv/books/2024-03/x.xlsx"},
		{"exports", sink.Location{Dir: "exports"}, filepath.Join("exports", "2024-03", "x.xlsx")},
		{"./exports/acme", sink.Location{Dir: "./exports/acme"}, filepath.Join("exports", "acme", "2024-03", "x.xlsx")},
		{"../books", sink.Location{Dir: "../books"}, filepath.Join("..", "books", "2024-03", "x.xlsx")},
		{"s3://acme-books/revledger", sink.Location{Bucket: "acme-books", Prefix: "revledger"}, "s3://acme-books/revledger/2024-03/x.xlsx"},
		{"s3://acme-books/a/b/", sink.Location{Bucket: "acme-books", Prefix: "a/b"}, "s3://acme-books/a/b/2024-03/x.xlsx"},
		{"s3://acme-books", sink.Location{Bucket: "acme-books"}, "s3://acme-books/2024-03/x.xlsx"},
		{"s3://acme-books/", sink.Location{Bucket: "acme-books"}, "s3://acme-books/2024-03/x.xlsx"},
	} {
		got, err := sink.ParseURL(tc.raw)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tc.raw, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseURL(%q) = %+v, want %+v", tc.raw, got, tc.want)
		}
		if got.IsS3() != (tc.want.Bucket != "") {
			t.Errorf("ParseURL(%q).IsS3() = %v", tc.raw, got.IsS3())
		}
		if p := got.Path("2024-03/x.xlsx"); p != tc.path {
			t.Errorf("ParseURL(%q).Path = %q, want %q", tc.raw, p, tc.path)
		}
	}
	for _, tc := range []struct{ raw, want string }{
		{"file://exports/books", "three slashes"}, // a host: refused, never guessed to be ./exports/books
		{"file://server/share", "three slashes"},
		{"file://localhost/srv/books", "three slashes"},
		{"file:exports", "three slashes"},
		{"file://", "three slashes"},
		{"s3://", "needs a bucket"},
		{"s3:///prefix", "needs a bucket"},
		{"ftp://x/y", "use s3://bucket/prefix or file:///path"},
		{"https://bucket.s3.amazonaws.com/x", "use s3://bucket/prefix or file:///path"},
		{"", "empty"},
		{"s3://bad bucket/x", "export URL"},
	} {
		_, err := sink.ParseURL(tc.raw)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseURL(%q) = %v, want an error saying %q", tc.raw, err, tc.want)
		}
	}
}
