package tenancy

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Environment variables LoadKeyring reads.
const (
	// EnvSecretKey is the current key: 32 random bytes, base64 (openssl rand -base64 32).
	EnvSecretKey = "REVLEDGER_SECRET_KEY"
	// EnvOldSecretKeys are earlier keys, base64, comma-separated: still accepted for
	// decrypting, never used to encrypt. They are what lets processes keep running across a
	// key rotation (docs/MULTI-BUSINESS.md).
	EnvOldSecretKeys = "REVLEDGER_OLD_SECRET_KEYS"
)

// keyHowTo is the one instruction every key error ends with.
const keyHowTo = "set " + EnvSecretKey + " to 32 random bytes in base64 (openssl rand -base64 32) or pass --secret-key-file"

// Keyring holds the AES-256-GCM keys that seal the businesses' secrets: the current key,
// which seals, and older keys, which only open what they sealed. Each key is known by an id
// derived from it (HMAC-SHA-256 of a fixed label, 8 bytes in hex): the id is stored with each
// ciphertext, so the right key is found without trying them all, and reveals nothing usable
// about the key.
type Keyring struct {
	current string
	keys    map[string]cipher.AEAD
	order   []string // current first, then the older keys as given
}

// NewKeyring returns a keyring sealing with current and also opening with old. Every key must
// be 32 bytes.
func NewKeyring(current []byte, old ...[]byte) (*Keyring, error) {
	k := &Keyring{keys: map[string]cipher.AEAD{}}
	for i, key := range append([][]byte{current}, old...) {
		if len(key) != 32 {
			which := "the current key"
			if i > 0 {
				which = "old key " + strconv.Itoa(i)
			}
			return nil, fmt.Errorf("tenancy: %s is %d bytes, AES-256 needs 32: %s", which, len(key), keyHowTo)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("tenancy: key: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("tenancy: key: %w", err)
		}
		id := keyID(key)
		if _, dup := k.keys[id]; dup {
			continue
		}
		k.keys[id] = aead
		k.order = append(k.order, id)
	}
	k.current = k.order[0]
	return k, nil
}

func keyID(key []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("revledger key id"))
	return hex.EncodeToString(mac.Sum(nil)[:8])
}

// CurrentID is the id of the key that seals (safe to log).
func (k *Keyring) CurrentID() string { return k.current }

// String names the keys by id only.
func (k *Keyring) String() string {
	return fmt.Sprintf("keyring(current %s, %d older)", k.current, len(k.order)-1)
}

// withOld returns a keyring that seals with k's current key and also opens with other's keys.
func (k *Keyring) withOld(other *Keyring) *Keyring {
	out := &Keyring{current: k.current, keys: map[string]cipher.AEAD{}}
	for _, ring := range []*Keyring{k, other} {
		for _, id := range ring.order {
			if _, dup := out.keys[id]; !dup {
				out.keys[id] = ring.keys[id]
				out.order = append(out.order, id)
			}
		}
	}
	return out
}

// LoadKeyring reads the keys from keyFile if it is not empty, else from the environment
// (REVLEDGER_SECRET_KEY, and REVLEDGER_OLD_SECRET_KEYS for older keys). A key file holds one
// base64 key per line, the current key first; blank lines and lines starting with # are
// skipped; it must not be readable by group or others. Errors say what to fix and never
// quote a key.
func LoadKeyring(getenv func(string) string, keyFile string) (*Keyring, error) {
	var encoded []string
	source := EnvSecretKey
	if keyFile != "" {
		source = keyFile
		info, err := os.Stat(keyFile)
		if err != nil {
			return nil, fmt.Errorf("tenancy: secret key file: %w", err)
		}
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			return nil, fmt.Errorf("tenancy: secret key file %s has mode %04o, readable by other users; run `chmod 600 %s`", keyFile, perm, keyFile)
		}
		data, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, fmt.Errorf("tenancy: secret key file: %w", err)
		}
		for line := range strings.Lines(string(data)) {
			line = strings.TrimSpace(line)
			if line != "" && !strings.HasPrefix(line, "#") {
				encoded = append(encoded, line)
			}
		}
		if len(encoded) == 0 {
			return nil, fmt.Errorf("tenancy: secret key file %s holds no key: write 32 random bytes in base64 into it (openssl rand -base64 32)", keyFile)
		}
	} else {
		cur := strings.TrimSpace(getenv(EnvSecretKey))
		if cur == "" {
			return nil, errors.New("tenancy: no secret key: " + keyHowTo)
		}
		encoded = append(encoded, cur)
		for old := range strings.SplitSeq(getenv(EnvOldSecretKeys), ",") {
			if old = strings.TrimSpace(old); old != "" {
				encoded = append(encoded, old)
			}
		}
	}
	keys := make([][]byte, len(encoded))
	for i, e := range encoded {
		key, err := base64.StdEncoding.DecodeString(e)
		if err != nil || len(key) != 32 {
			which := "key 1 (the current key)"
			if i > 0 {
				which = "key " + strconv.Itoa(i+1) + " (an old key)"
			}
			if keyFile == "" && i > 0 {
				source = EnvOldSecretKeys
			}
			return nil, fmt.Errorf("tenancy: %s in %s is not 32 bytes in base64: %s", which, source, keyHowTo)
		}
		keys[i] = key
	}
	return NewKeyring(keys[0], keys[1:]...)
}

// errUndecryptable is the one decryption failure; its message names no secret.
var errUndecryptable = errors.New("cannot be decrypted with the configured keys")

// seal encrypts plain for (businessID, field) with the current key. It returns the key id and
// nonce || ciphertext.
func (k *Keyring) seal(businessID int64, field string, plain []byte) (string, []byte, error) {
	aead := k.keys[k.current]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", nil, fmt.Errorf("tenancy: random nonce: %w", err)
	}
	return k.current, aead.Seal(nonce, nonce, plain, additionalData(businessID, field)), nil
}

// open decrypts what seal returned. A wrong key, business, field or a tampered ciphertext
// all fail the same way.
func (k *Keyring) open(businessID int64, field, keyID string, sealed []byte) ([]byte, error) {
	aead, ok := k.keys[keyID]
	if !ok {
		return nil, fmt.Errorf("%w: it was sealed with key %s, which is not in the keyring (%s; add the old key to %s)", errUndecryptable, keyID, k, EnvOldSecretKeys)
	}
	if len(sealed) < aead.NonceSize() {
		return nil, fmt.Errorf("%w: ciphertext too short", errUndecryptable)
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], additionalData(businessID, field))
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed (wrong key, or the ciphertext does not belong to this business and field)", errUndecryptable)
	}
	return plain, nil
}

// additionalData binds a ciphertext to its business and field.
func additionalData(businessID int64, field string) []byte {
	return []byte("revledger/business/" + strconv.FormatInt(businessID, 10) + "/" + field)
}
