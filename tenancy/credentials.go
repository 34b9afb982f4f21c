package tenancy

import (
	"fmt"
	"log/slog"
)

// Credentials are a business's API secrets, decrypted. Every way of printing them (fmt's
// verbs, %#v, slog, JSON) shows only whether each is set.
type Credentials struct {
	PrivateKeyPEM []byte
	RefreshToken  string // empty until `revledger auth exchange --business` has run
}

func (c Credentials) String() string {
	return fmt.Sprintf("tenancy.Credentials{PrivateKeyPEM: %s, RefreshToken: %s}", setOrNot(len(c.PrivateKeyPEM) > 0), setOrNot(c.RefreshToken != ""))
}

// GoString is what %#v prints.
func (c Credentials) GoString() string { return c.String() }

// Format makes every verb (%v, %+v, %s, %q, %x, ...) print String's text.
func (c Credentials) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(c.String())) }

// LogValue keeps the secrets out of structured logs.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("private_key_set", len(c.PrivateKeyPEM) > 0),
		slog.Bool("refresh_token_set", c.RefreshToken != ""))
}

// MarshalJSON keeps the secrets out of JSON.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `{"private_key_set":%t,"refresh_token_set":%t}`, len(c.PrivateKeyPEM) > 0, c.RefreshToken != ""), nil
}

func setOrNot(set bool) string {
	if set {
		return "[set]"
	}
	return "[not set]"
}
