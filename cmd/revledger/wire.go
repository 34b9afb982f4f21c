package main

import (
	"crypto/rsa"
	"errors"
	"log/slog"

	"github.com/revledger/revledger/extract/revolut"
)

// newAPIClient builds the Revolut client from the configuration. A bad key file is the user's
// to fix, so it is a usage error: the run stops before it touches any state.
func newAPIClient(cfg Config, refreshToken string, log *slog.Logger, onRefresh func(string)) (*revolut.Client, error) {
	if err := cfg.validateAPI(); err != nil {
		return nil, usageError{err}
	}
	key, err := revolut.LoadPrivateKey(cfg.Revolut.PrivateKeyFile)
	if err != nil {
		return nil, usageError{err}
	}
	client, err := revolut.NewClient(cfg.revolutConfig(key, refreshToken, onRefresh, log))
	if err != nil {
		return nil, usageError{err}
	}
	return client, nil
}

// revolutConfig is the client's configuration from cfg.
func (c Config) revolutConfig(key *rsa.PrivateKey, refreshToken string, onRefresh func(string), log *slog.Logger) revolut.Config {
	return revolut.Config{
		BaseURL:        c.Revolut.APIURL,
		ClientID:       c.Revolut.ClientID,
		Issuer:         c.Revolut.Issuer,
		PrivateKey:     key,
		RefreshToken:   refreshToken,
		OnRefreshToken: onRefresh,
		RatePerMinute:  c.Revolut.RatePerMinute,
		Logger:         log,
	}
}

// refreshToken returns the refresh token to use: REVOLUT_REFRESH_TOKEN, else the stored one.
func refreshToken(cfg Config) (string, error) {
	if cfg.Revolut.RefreshToken != "" {
		return cfg.Revolut.RefreshToken, nil
	}
	tok, err := loadToken(cfg.Revolut.TokenFile)
	if errors.Is(err, errNoToken) {
		return "", usagef("no Revolut refresh token: set REVOLUT_REFRESH_TOKEN or run `revledger auth exchange --code ...` (see `revledger auth --help`)")
	}
	if err != nil {
		return "", usageError{err}
	}
	return tok.RefreshToken, nil
}
