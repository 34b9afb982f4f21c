package sink

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// Location is where an export URL points: an S3 bucket and key prefix, or a local folder.
// ParseURL is the one reader of export URLs: the configuration check, the sink and the
// command's output all go through it, so they agree on what a URL means.
type Location struct {
	Bucket string // the S3 bucket; empty for a folder
	Prefix string // the S3 key prefix, without leading or trailing slashes
	Dir    string // the folder, as given (relative paths stay relative); empty for S3
}

// IsS3 reports whether the location is an S3 bucket.
func (l Location) IsS3() bool { return l.Bucket != "" }

// ParseURL reads an export URL: s3://bucket/optional/prefix, file:///absolute/path, or a
// plain folder path (relative to the working directory or absolute). A file URL with a
// host (file://exports/books, file://server/share) is refused rather than guessed at:
// it is either a relative path missing from a malformed URL or a remote folder, and
// writing the books to the wrong place is worse than asking.
func ParseURL(raw string) (Location, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Location{}, fmt.Errorf("export URL %q: %w", raw, err)
	}
	switch u.Scheme {
	case "":
		if raw == "" {
			return Location{}, fmt.Errorf("export URL is empty: use s3://bucket/prefix, file:///path or a folder path")
		}
		return Location{Dir: raw}, nil
	case "file":
		if u.Host != "" || !strings.HasPrefix(u.Path, "/") {
			return Location{}, fmt.Errorf("export URL %q: a file URL needs three slashes and an absolute path: file:///path", raw)
		}
		return Location{Dir: u.Path}, nil
	case "s3":
		if u.Host == "" {
			return Location{}, fmt.Errorf("export URL %q: an S3 URL needs a bucket: s3://bucket/prefix", raw)
		}
		return Location{Bucket: u.Host, Prefix: strings.Trim(u.Path, "/")}, nil
	default:
		return Location{}, fmt.Errorf("export URL %q: use s3://bucket/prefix or file:///path", raw)
	}
}

// Path renders the slash-separated key under the location the way a person opens it:
// s3://bucket/prefix/key, or the folder path joined with key.
func (l Location) Path(key string) string {
	if l.IsS3() {
		return "s3://" + l.Bucket + "/" + strings.Trim(l.Prefix+"/"+key, "/")
	}
	return filepath.Join(l.Dir, filepath.FromSlash(key))
}
