package tenancy

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/revledger/revledger/extract/revolut"
)

// RevolutConfig returns the API client configuration of business b: its API URL, client id
// and issuer, its decrypted private key and refresh token, and an OnRefreshToken that seals
// and stores a refresh token the token endpoint sends (the first exchange, or a rotation).
// The caller adds what is its own (Limiter, Logger, HTTPClient). A refresh token that cannot
// be stored is logged on log (without the token) and otherwise lost: the next run then
// exchanges the previous one again, which Revolut accepts until it expires.
func (r *Registry) RevolutConfig(ctx context.Context, b Business, log *slog.Logger) (revolut.Config, error) {
	creds, err := r.Credentials(ctx, b.Slug)
	if err != nil {
		return revolut.Config{}, err
	}
	key, err := revolut.ParsePrivateKey(creds.PrivateKeyPEM)
	if err != nil {
		return revolut.Config{}, fmt.Errorf("tenancy: private key of %s: %w", b.Slug, err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	slug := b.Slug
	return revolut.Config{
		BaseURL:      b.APIURL,
		ClientID:     b.ClientID,
		Issuer:       b.Issuer,
		PrivateKey:   key,
		RefreshToken: creds.RefreshToken,
		OnRefreshToken: func(token string) {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if err := r.SaveRefreshToken(sctx, slug, token); err != nil {
				log.Error("could not store the new refresh token", slog.String("business", slug), slog.String("error", err.Error()))
			}
		},
		Logger: log,
	}, nil
}
