package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// storedToken is what `revledger auth exchange` keeps: the long-lived refresh token and when
// it was obtained (Revolut may ask businesses to re-consent every 90 days).
type storedToken struct {
	RefreshToken string    `json:"refresh_token"`
	ClientID     string    `json:"client_id"`
	ObtainedAt   time.Time `json:"obtained_at"`
}

// String never shows the token itself.
func (t storedToken) String() string {
	return fmt.Sprintf("refresh token for client %s obtained %s", t.ClientID, t.ObtainedAt.UTC().Format(time.RFC3339))
}

// saveToken writes the token atomically with mode 0600 in a 0700 folder.
func saveToken(path string, tok storedToken) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create token folder: %w", err)
	}
	data, err := json.MarshalIndent(tok, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".token-*")
	if err != nil {
		return fmt.Errorf("store refresh token: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("store refresh token: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// errNoToken means no refresh token is stored.
var errNoToken = errors.New("no refresh token stored")

// loadToken reads a stored token, refusing a file that others can read.
func loadToken(path string) (storedToken, error) {
	info, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return storedToken{}, errNoToken
	}
	if err != nil {
		return storedToken{}, err
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return storedToken{}, fmt.Errorf("token file %s has mode %04o, readable by other users; run `chmod 600 %s`", path, perm, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return storedToken{}, err
	}
	var tok storedToken
	if err := json.Unmarshal(data, &tok); err != nil {
		return storedToken{}, fmt.Errorf("token file %s is not valid JSON; run `revledger auth exchange` again", path)
	}
	if tok.RefreshToken == "" {
		return storedToken{}, errNoToken
	}
	return tok, nil
}
