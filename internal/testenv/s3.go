package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// VersityGWVersion is the S3-compatible server the tests run against.
const VersityGWVersion = "v1.8.0"

// S3Server is a real versitygw process serving S3 over HTTP on loopback, backed by a
// temporary folder, with one bucket ready to use.
type S3Server struct {
	Endpoint        string // http://127.0.0.1:PORT
	Region          string
	AccessKeyID     string
	SecretAccessKey string
	Bucket          string

	bin  string
	addr string
	root string
	cmd  *exec.Cmd
	mu   sync.Mutex
}

// S3 starts a versitygw server for this test with a fresh bucket, and stops it in t.Cleanup.
// The binary is built once into the repository's .cache/bin (about a minute the first time).
func S3(t testing.TB) *S3Server {
	t.Helper()
	bin, err := versityBinary()
	if err != nil {
		unavailable(t, "S3 (versitygw)", err.Error())
	}
	port, err := freePort()
	if err != nil {
		t.Fatalf("testenv: free port: %v", err)
	}
	s := &S3Server{
		Region:          "us-east-1",
		AccessKeyID:     "revledger-test",
		SecretAccessKey: "revledger-test-secret-" + randomHex(8),
		Bucket:          "revledger-" + randomHex(4),
		bin:             bin,
		addr:            fmt.Sprintf("127.0.0.1:%d", port),
		root:            t.TempDir(),
	}
	s.Endpoint = "http://" + s.addr
	if err := s.Start(); err != nil {
		unavailable(t, "S3 (versitygw)", err.Error())
	}
	t.Cleanup(s.Stop)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(s.Bucket)}); err != nil {
		t.Fatalf("testenv: create bucket %s: %v", s.Bucket, err)
	}
	return s
}

// Client returns an S3 client for this server: static credentials, custom endpoint,
// path-style addressing, as revledger configures itself for S3-compatible servers.
func (s *S3Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  aws.CredentialsProviderFunc(s.credentials),
	})
}

func (s *S3Server) credentials(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey, Source: "testenv"}, nil
}

// Start starts (or restarts, after Stop) the server on its address and data folder, and
// waits until it accepts connections.
func (s *S3Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	data := filepath.Join(s.root, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return err
	}
	log, err := os.OpenFile(filepath.Join(s.root, "versitygw.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(s.bin,
		"--access", s.AccessKeyID, "--secret", s.SecretAccessKey,
		"--region", s.Region, "--port", s.addr, "--quiet",
		"posix", "--sidecar", filepath.Join(s.root, "meta"), data)
	cmd.Stdout, cmd.Stderr = log, log
	// Kill the server if the test binary dies without running its cleanups.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := os.MkdirAll(filepath.Join(s.root, "meta"), 0o755); err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start versitygw: %w", err)
	}
	s.cmd = cmd
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", s.addr, 200*time.Millisecond); err == nil {
			c.Close()
			go func() { <-exited }()
			return nil
		}
		select {
		case err := <-exited:
			s.cmd = nil
			logText, _ := os.ReadFile(filepath.Join(s.root, "versitygw.log"))
			return fmt.Errorf("versitygw exited: %v: %s", err, logText)
		case <-time.After(50 * time.Millisecond):
		}
	}
	s.stopLocked()
	return errors.New("versitygw did not accept connections within 20s")
}

// Stop kills the server; the data folder is kept so Start can bring the same objects back.
func (s *S3Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
}

func (s *S3Server) stopLocked() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	// Wait until the port is free so a restart can bind it again.
	for i := 0; i < 100; i++ {
		c, err := net.DialTimeout("tcp", s.addr, 50*time.Millisecond)
		if err != nil {
			break
		}
		c.Close()
		time.Sleep(20 * time.Millisecond)
	}
	s.cmd = nil
}

var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
)

// versityBinary returns the path of the versitygw binary, building it with `go install` into
// .cache/bin when it is missing. A file lock keeps parallel test binaries from building twice.
func versityBinary() (string, error) {
	buildOnce.Do(func() {
		if p := os.Getenv("VERSITYGW_BIN"); p != "" {
			buildBin = p
			return
		}
		root, err := RepoRoot()
		if err != nil {
			buildErr = fmt.Errorf("find repository root: %w", err)
			return
		}
		binDir := filepath.Join(root, ".cache", "bin")
		bin := filepath.Join(binDir, "versitygw")
		if err := os.MkdirAll(binDir, 0o755); err != nil {
			buildErr = err
			return
		}
		unlock, err := lock(filepath.Join(binDir, ".versitygw.lock"))
		if err != nil {
			buildErr = err
			return
		}
		defer unlock()
		if _, err := os.Stat(bin); err == nil {
			buildBin = bin
			return
		}
		cmd := exec.Command("go", "install", "github.com/versity/versitygw/cmd/versitygw@"+VersityGWVersion)
		cmd.Env = append(os.Environ(), "GOBIN="+binDir, "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build versitygw %s (go install; needs the Go module proxy): %v: %s", VersityGWVersion, err, out)
			return
		}
		buildBin = bin
	})
	return buildBin, buildErr
}

func lock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
