package sink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	tmtypes "github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Server-side encryption settings for S3Options.SSE.
const (
	SSEAES256 = "AES256"
	SSEKMS    = "aws:kms"
)

// DefaultPartSize is the multipart part size unless configured; files at least this large
// are uploaded in parts.
const DefaultPartSize = 8 << 20

// metaSHA256 is the user-metadata key holding the whole object's hex SHA-256.
const metaSHA256 = "sha256"

// S3Options configures an S3 sink. Credentials, region and endpoint come from the AWS SDK's
// standard chain (AWS_REGION, AWS_ENDPOINT_URL_S3, profiles, instance roles...) unless Client
// is set; a custom endpoint switches to path-style addressing, which S3-compatible servers
// expect.
type S3Options struct {
	Bucket string
	Prefix string // key prefix, without leading or trailing slash

	// SSE is "" (the bucket's default), SSEAES256 or SSEKMS; SSEKMSKeyID is the KMS key for
	// SSEKMS (empty: the account's aws/s3 key).
	SSE         string
	SSEKMSKeyID string

	// PartSize is the multipart part size in bytes (minimum 5 MiB); default DefaultPartSize.
	PartSize int64
	// Concurrency is the number of parts uploaded at once; default the transfer manager's.
	Concurrency int

	// PublicBaseURL, when set, makes Link return PublicBaseURL + "/" + key (a CDN or a
	// bucket website that the accountant can open). Else PresignTTL > 0 makes Link return a
	// presigned GET URL valid that long (at most 7 days). Else Link returns the object's
	// plain URL, which opens for whoever has read access to the bucket.
	PublicBaseURL string
	PresignTTL    time.Duration

	// TmpDir is where uploads of unknown size are spooled; default the system's.
	TmpDir string

	// Client replaces the client built from the standard chain (used by cmd for unusual
	// setups and by tests against a local server).
	Client *s3.Client
}

func (o S3Options) validate() error {
	if o.Bucket == "" {
		return errors.New("s3 sink: no bucket")
	}
	switch o.SSE {
	case "", SSEAES256:
		if o.SSEKMSKeyID != "" {
			return errors.New("s3 sink: a KMS key id needs SSE aws:kms")
		}
	case SSEKMS:
	default:
		return fmt.Errorf("s3 sink: SSE %q is neither %s nor %s", o.SSE, SSEAES256, SSEKMS)
	}
	if o.PartSize != 0 && o.PartSize < 5<<20 {
		return fmt.Errorf("s3 sink: part size %d is below S3's 5 MiB minimum", o.PartSize)
	}
	if o.PresignTTL > 7*24*time.Hour {
		return fmt.Errorf("s3 sink: presigned links last at most 7 days, not %s", o.PresignTTL)
	}
	return nil
}

// S3 stores objects in a bucket under a prefix.
type S3 struct {
	opts    S3Options
	client  *s3.Client
	tm      *transfermanager.Client
	presign *s3.PresignClient
}

// NewS3 returns an S3 sink. Without opts.Client it loads the SDK's default configuration.
func NewS3(ctx context.Context, opts S3Options) (*S3, error) {
	if opts.PartSize == 0 {
		opts.PartSize = DefaultPartSize
	}
	opts.Prefix = strings.Trim(opts.Prefix, "/")
	if err := opts.validate(); err != nil {
		return nil, err
	}
	client := opts.Client
	if client == nil {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("load AWS configuration: %w", err)
		}
		client = s3.NewFromConfig(cfg, func(o *s3.Options) {
			// A custom endpoint (AWS_ENDPOINT_URL_S3) is an S3-compatible server: path-style.
			if o.BaseEndpoint != nil {
				o.UsePathStyle = true
			}
		})
	}
	tm := transfermanager.New(client, func(o *transfermanager.Options) {
		o.PartSizeBytes = opts.PartSize
		o.MultipartUploadThreshold = opts.PartSize
		o.ChecksumAlgorithm = tmtypes.ChecksumAlgorithmSha256
		if opts.Concurrency > 0 {
			o.Concurrency = opts.Concurrency
		}
	})
	return &S3{opts: opts, client: client, tm: tm, presign: s3.NewPresignClient(client)}, nil
}

func (s *S3) key(key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	if s.opts.Prefix == "" {
		return key, nil
	}
	return s.opts.Prefix + "/" + key, nil
}

// Put uploads r with a SHA-256 checksum on every request (single PUT, or each part of a
// multipart upload from PartSize on) and the whole content's SHA-256 as metadata. The object
// appears only when the upload completes; a failed multipart upload is aborted.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, meta Meta) (ObjectInfo, error) {
	k, err := s.key(key)
	if err != nil {
		return ObjectInfo{}, err
	}
	body, size, sum, cleanup, err := spool(r, s.opts.TmpDir)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	defer cleanup()
	ct := meta.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	in := &transfermanager.UploadObjectInput{
		Bucket:            aws.String(s.opts.Bucket),
		Key:               aws.String(k),
		Body:              body,
		ContentLength:     aws.Int64(size),
		ContentType:       aws.String(ct),
		ChecksumAlgorithm: tmtypes.ChecksumAlgorithmSha256,
		Metadata:          map[string]string{metaSHA256: sum},
	}
	if meta.ContentDisposition != "" {
		in.ContentDisposition = aws.String(meta.ContentDisposition)
	}
	if s.opts.SSE != "" {
		in.ServerSideEncryption = tmtypes.ServerSideEncryption(s.opts.SSE)
	}
	if s.opts.SSEKMSKeyID != "" {
		in.SSEKMSKeyID = aws.String(s.opts.SSEKMSKeyID)
	}
	if _, err := s.tm.UploadObject(ctx, in); err != nil {
		return ObjectInfo{}, fmt.Errorf("upload s3://%s/%s: %w", s.opts.Bucket, k, err)
	}
	return ObjectInfo{Key: key, Size: size, SHA256: sum, ContentType: ct}, nil
}

func isNotFound(err error) bool {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == 404 {
		return true
	}
	var nk *types.NoSuchKey
	var nf *types.NotFound
	return errors.As(err, &nk) || errors.As(err, &nf)
}

// Stat reads the object's metadata (HEAD).
func (s *S3) Stat(ctx context.Context, key string) (ObjectInfo, bool, error) {
	k, err := s.key(key)
	if err != nil {
		return ObjectInfo{}, false, err
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: aws.String(s.opts.Bucket), Key: aws.String(k), ChecksumMode: types.ChecksumModeEnabled,
	})
	if isNotFound(err) {
		return ObjectInfo{}, false, nil
	}
	if err != nil {
		return ObjectInfo{}, false, fmt.Errorf("stat s3://%s/%s: %w", s.opts.Bucket, k, err)
	}
	return ObjectInfo{
		Key: key, Size: aws.ToInt64(out.ContentLength), SHA256: out.Metadata[metaSHA256],
		ContentType: aws.ToString(out.ContentType),
	}, true, nil
}

// Get opens the object with checksum validation on: the SDK verifies a full-object SHA-256
// as the body is read and fails the read on a mismatch.
func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	k, err := s.key(key)
	if err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(s.opts.Bucket), Key: aws.String(k), ChecksumMode: types.ChecksumModeEnabled,
	})
	if isNotFound(err) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("get s3://%s/%s: %w", s.opts.Bucket, k, err)
	}
	return out.Body, nil
}

// Copy copies an object server-side, keeping its metadata (and so its SHA-256). S3 copies
// objects up to 5 GiB in one request, far above any export or receipt.
func (s *S3) Copy(ctx context.Context, src, dst string) error {
	sk, err := s.key(src)
	if err != nil {
		return err
	}
	dk, err := s.key(dst)
	if err != nil {
		return err
	}
	in := &s3.CopyObjectInput{
		Bucket:            aws.String(s.opts.Bucket),
		Key:               aws.String(dk),
		CopySource:        aws.String(url.PathEscape(s.opts.Bucket) + "/" + escapeKey(sk)),
		MetadataDirective: types.MetadataDirectiveCopy,
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
	}
	if s.opts.SSE != "" {
		in.ServerSideEncryption = types.ServerSideEncryption(s.opts.SSE)
	}
	if s.opts.SSEKMSKeyID != "" {
		in.SSEKMSKeyId = aws.String(s.opts.SSEKMSKeyID)
	}
	if _, err := s.client.CopyObject(ctx, in); err != nil {
		return fmt.Errorf("copy s3://%s/%s to %s: %w", s.opts.Bucket, sk, dk, err)
	}
	return nil
}

func escapeKey(k string) string {
	parts := strings.Split(k, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// List lists the objects under prefix. SHA256 is left empty (a listing has no metadata):
// Stat returns it.
func (s *S3) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	full := prefix
	if s.opts.Prefix != "" {
		full = s.opts.Prefix + "/" + prefix
	}
	var out []ObjectInfo
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.opts.Bucket), Prefix: aws.String(full)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", s.opts.Bucket, full, err)
		}
		for _, o := range page.Contents {
			key := strings.TrimPrefix(aws.ToString(o.Key), s.opts.Prefix+"/")
			if s.opts.Prefix == "" {
				key = aws.ToString(o.Key)
			}
			out = append(out, ObjectInfo{Key: key, Size: aws.ToInt64(o.Size)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Link returns the object's URL as S3Options describes; "" when it cannot be built.
func (s *S3) Link(key string) string {
	k, err := s.key(key)
	if err != nil {
		return ""
	}
	if s.opts.PublicBaseURL != "" {
		return strings.TrimRight(s.opts.PublicBaseURL, "/") + "/" + escapeKey(key)
	}
	if s.opts.PresignTTL > 0 {
		req, err := s.presign.PresignGetObject(context.Background(),
			&s3.GetObjectInput{Bucket: aws.String(s.opts.Bucket), Key: aws.String(k)},
			s3.WithPresignExpires(s.opts.PresignTTL))
		if err != nil {
			return ""
		}
		return req.URL
	}
	o := s.client.Options()
	if o.BaseEndpoint != nil {
		return strings.TrimRight(*o.BaseEndpoint, "/") + "/" + path.Join(url.PathEscape(s.opts.Bucket), escapeKey(k))
	}
	return "https://" + s.opts.Bucket + ".s3." + o.Region + ".amazonaws.com/" + escapeKey(k)
}

// Delete removes the object; S3 reports success for a missing one too.
func (s *S3) Delete(ctx context.Context, key string) error {
	k, err := s.key(key)
	if err != nil {
		return err
	}
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.opts.Bucket), Key: aws.String(k)}); err != nil && !isNotFound(err) {
		return fmt.Errorf("delete s3://%s/%s: %w", s.opts.Bucket, k, err)
	}
	return nil
}
