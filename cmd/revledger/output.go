package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/revledger/revledger/exporters"
	"github.com/revledger/revledger/load"
	"github.com/revledger/revledger/sink"
)

// openOutput opens the export sink named by the configuration and the exporter over it.
func openOutput(ctx context.Context, cfg Config, store *load.Store, log *slog.Logger) (sink.Sink, *exporters.Exporter, error) {
	ecfg, presign, err := cfg.exportersConfig()
	if err != nil {
		return nil, nil, usageError{err}
	}
	s, err := sink.Open(ctx, sink.Config{URL: cfg.Export.URL, S3: sink.S3Options{
		SSE:           cfg.Export.ServerSideEncryption,
		SSEKMSKeyID:   cfg.Export.KMSKeyID,
		PublicBaseURL: cfg.Export.ReceiptLinkBase,
		PresignTTL:    presign,
	}})
	if err != nil {
		return nil, nil, usageError{fmt.Errorf("open the export location %s: %w", cfg.Export.URL, err)}
	}
	ecfg.Logger = log
	exp := exporters.New(store, s, ecfg)
	return s, exp, nil
}

// exportLocation renders a key under the export root the way a person opens it: a local path
// for a folder, an s3:// URL otherwise.
func exportLocation(exportURL, key string) string {
	loc, err := sink.ParseURL(exportURL)
	if err != nil {
		loc = sink.Location{Dir: exportURL}
	}
	p := loc.Path(key)
	if loc.IsS3() {
		return p
	}
	if rel, err := filepath.Rel(".", p); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return p
}
