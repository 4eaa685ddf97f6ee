package b2cgraph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// KeySetPrefix is the prefix B2C gives every policy key (key set) id: a key set created as
// "IdmeBridgeSecret" is "B2C_1A_IdmeBridgeSecret", the name policies reference.
const KeySetPrefix = "B2C_1A_"

// KeySetID returns the full id policies reference, adding the prefix when it is missing.
func KeySetID(name string) string {
	if strings.HasPrefix(strings.ToUpper(name), strings.ToUpper(KeySetPrefix)) {
		return KeySetPrefix + name[len(KeySetPrefix):]
	}
	return KeySetPrefix + name
}

// fullKeySetID checks a key set name and returns its prefixed id.
func fullKeySetID(name string) (string, error) {
	if err := checkID(name); err != nil {
		return "", err
	}
	id := KeySetID(name)
	if id == KeySetPrefix {
		return "", errors.New("graph: a policy key needs a name after " + KeySetPrefix)
	}
	return id, nil
}

// KeySet is a trustFrameworkKeySet: a policy key and its key versions.
type KeySet struct {
	ID   string `json:"id"`
	Keys []Key  `json:"keys"`
}

// Key is a trustFrameworkKey as Graph returns it: metadata only, never the secret (the resource
// page says k, d, p, q, dp, dq and qi are "not readable", and this type has no field to hold
// them). nbf and exp are documented as Int64 but have been shown as strings, so they are kept
// raw; NotBefore and Expires read either.
type Key struct {
	KID string          `json:"kid"`
	Use string          `json:"use"`
	KTY string          `json:"kty"`
	NBF json.RawMessage `json:"nbf,omitempty"`
	EXP json.RawMessage `json:"exp,omitempty"`
	// Status is enabled or disabled (trustFrameworkKey resource type, beta); empty when Graph
	// does not say.
	Status string `json:"status,omitempty"`
}

// NotBefore is the key's nbf; ok is false when it has none (or none that reads as a time).
func (k Key) NotBefore() (time.Time, bool) { return numericDate(k.NBF) }

// Expires is the key's exp; ok is false when it has none.
func (k Key) Expires() (time.Time, bool) { return numericDate(k.EXP) }

// numericDate reads an RFC 7519 NumericDate given as a JSON number or a string of digits.
func numericDate(raw json.RawMessage) (time.Time, bool) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if s == "" || s == "null" {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// Secret is a plain-text secret for a policy key (uploadSecret).
type Secret struct {
	// Use is "sig" or "enc"; B2C's policy key for a client secret is a "Signature" key: "sig".
	Use       string
	Value     string
	NotBefore time.Time // zero: none
	Expires   time.Time // zero: none
}

// GetKeySet reads a key set; errors.Is(err, ErrNotFound) when the tenant has none of that id.
func (c *Client) GetKeySet(ctx context.Context, id string) (KeySet, error) {
	id, err := fullKeySetID(id)
	if err != nil {
		return KeySet{}, err
	}
	var ks KeySet
	_, err = c.call(ctx, "read policy key "+id, http.MethodGet, "/trustFramework/keySets/"+url.PathEscape(id), "", nil, &ks)
	return ks, err
}

// GetActiveKey returns the key B2C uses now from the key set id (GET
// trustFramework/keySets/{id}/getActiveKey: Microsoft Graph beta, "trustFrameworkKeySet:
// getActiveKey", learn.microsoft.com/graph/api/trustframeworkkeyset-getactivekey: "Only one key
// is active in the keyset at a time").
func (c *Client) GetActiveKey(ctx context.Context, id string) (Key, error) {
	id, err := fullKeySetID(id)
	if err != nil {
		return Key{}, err
	}
	var k Key
	_, err = c.call(ctx, "read the active key of policy key "+id, http.MethodGet,
		"/trustFramework/keySets/"+url.PathEscape(id)+"/getActiveKey", "", nil, &k)
	return k, err
}

// CreateKeySet creates an empty key set. Graph adds the B2C_1A_ prefix itself, so the request
// carries the name without it; the id Graph answers with is returned.
func (c *Client) CreateKeySet(ctx context.Context, id string) (KeySet, error) {
	id, err := fullKeySetID(id)
	if err != nil {
		return KeySet{}, err
	}
	body, err := json.Marshal(map[string]string{"id": strings.TrimPrefix(id, KeySetPrefix)})
	if err != nil {
		return KeySet{}, fmt.Errorf("graph: %w", err)
	}
	var ks KeySet
	if _, err := c.call(ctx, "create policy key "+id, http.MethodPost, "/trustFramework/keySets", "application/json", body, &ks); err != nil {
		return KeySet{}, err
	}
	if !strings.EqualFold(ks.ID, id) {
		return ks, fmt.Errorf("graph: created policy key %q, not %q: rename the key the policies reference, or delete %s", ks.ID, id, ks.ID)
	}
	return ks, nil
}

// EnsureKeySet returns the key set, creating it when the tenant has none; created says which.
func (c *Client) EnsureKeySet(ctx context.Context, id string) (ks KeySet, created bool, err error) {
	ks, err = c.GetKeySet(ctx, id)
	if err == nil {
		return ks, false, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return KeySet{}, false, err
	}
	ks, err = c.CreateKeySet(ctx, id)
	return ks, err == nil, err
}

// UploadSecret adds s as the key set's newest key version (POST keySets/{id}/uploadSecret).
// B2C uses the newest version whose validity has begun; older versions stay until deleted.
func (c *Client) UploadSecret(ctx context.Context, id string, s Secret) (Key, error) {
	id, err := fullKeySetID(id)
	if err != nil {
		return Key{}, err
	}
	if s.Value == "" {
		return Key{}, errors.New("graph: the secret is empty")
	}
	if s.Use != "sig" && s.Use != "enc" {
		return Key{}, fmt.Errorf("graph: key use must be sig or enc, not %q", s.Use)
	}
	req := struct {
		Use string `json:"use"`
		K   string `json:"k"`
		NBF int64  `json:"nbf,omitempty"`
		EXP int64  `json:"exp,omitempty"`
	}{Use: s.Use, K: s.Value}
	if !s.NotBefore.IsZero() {
		req.NBF = s.NotBefore.Unix()
	}
	if !s.Expires.IsZero() {
		req.EXP = s.Expires.Unix()
	}
	body, err := json.Marshal(req)
	if err != nil {
		return Key{}, fmt.Errorf("graph: %w", err)
	}
	var k Key
	_, err = c.call(ctx, "upload secret to policy key "+id, http.MethodPost,
		"/trustFramework/keySets/"+url.PathEscape(id)+"/uploadSecret", "application/json", body, &k)
	return k, err
}
