package testenv_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/internal/testenv"
)

// TestDatabaseSmoke proves the PostgreSQL helper hands out a real, private, writable database:
// a numeric round trip that a float would get wrong, and isolation between two databases.
func TestDatabaseSmoke(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	a, b := testenv.Database(t), testenv.Database(t)
	if a == b {
		t.Fatalf("two calls returned the same database %q", a)
	}
	connA, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer connA.Close(ctx)

	if _, err := connA.Exec(ctx, `CREATE TABLE smoke (amount numeric NOT NULL)`); err != nil {
		t.Fatalf("create table: %v", err)
	}
	// 0.1 + 0.2 is exactly 0.3 in numeric; in float64 it is 0.30000000000000004.
	if _, err := connA.Exec(ctx, `INSERT INTO smoke VALUES (0.1), (0.2)`); err != nil {
		t.Fatalf("insert: %v", err)
	}
	var sum string
	if err := connA.QueryRow(ctx, `SELECT sum(amount)::text FROM smoke`).Scan(&sum); err != nil {
		t.Fatalf("sum: %v", err)
	}
	if !decimal.RequireFromString(sum).Equal(decimal.RequireFromString("0.3")) {
		t.Fatalf("sum = %s, want 0.3", sum)
	}

	connB, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatalf("connect b: %v", err)
	}
	defer connB.Close(ctx)
	var exists bool
	if err := connB.QueryRow(ctx, `SELECT to_regclass('smoke') IS NOT NULL`).Scan(&exists); err != nil {
		t.Fatalf("query b: %v", err)
	}
	if exists {
		t.Fatal("table created in database a is visible in database b")
	}
}

// TestS3Smoke proves the S3 helper runs a real server: a put with a SHA-256 checksum through
// aws-sdk-go-v2 (custom endpoint, path-style), read back byte for byte with the checksum
// verified, and a put of a wrong checksum rejected.
func TestS3Smoke(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	srv := testenv.S3(t)
	client := srv.Client()
	body := []byte("revledger smoke: £24.38 incl. VAT 4.06\n")
	sum := sha256.Sum256(body)
	want := base64.StdEncoding.EncodeToString(sum[:])

	put, err := client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:            aws.String(srv.Bucket),
		Key:               aws.String("2026-01/smoke.txt"),
		Body:              bytes.NewReader(body),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
	})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	if got := aws.ToString(put.ChecksumSHA256); got != want {
		t.Fatalf("put checksum = %q, want %q", got, want)
	}

	got, err := client.GetObject(ctx, &s3.GetObjectInput{
		Bucket:       aws.String(srv.Bucket),
		Key:          aws.String("2026-01/smoke.txt"),
		ChecksumMode: types.ChecksumModeEnabled,
	})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	defer got.Body.Close()
	read, err := io.ReadAll(got.Body)
	if err != nil {
		t.Fatalf("read body (checksum validated while reading): %v", err)
	}
	if !bytes.Equal(read, body) {
		t.Fatalf("body = %q, want %q", read, body)
	}
	if aws.ToString(got.ChecksumSHA256) != want {
		t.Fatalf("get checksum = %q, want %q", aws.ToString(got.ChecksumSHA256), want)
	}

	wrong := sha256.Sum256([]byte("something else"))
	_, err = client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:         aws.String(srv.Bucket),
		Key:            aws.String("2026-01/corrupt.txt"),
		Body:           bytes.NewReader(body),
		ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(wrong[:])),
	})
	if err == nil {
		t.Fatal("put with a wrong SHA-256 checksum succeeded; the server must reject it")
	}
}
