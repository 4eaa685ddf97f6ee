package store

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxKeyLen is well under Blob Storage's 1024-character name limit.
const maxKeyLen = 512

// ErrBadKey is returned for a key that cannot safely name a blob.
var ErrBadKey = errors.New("invalid record key")

// checkKey admits "/"-separated segments of URL-unreserved characters (plus "=" for base64
// padding). Anything else could be rewritten on the way to the service ("." and ".."
// segments, "\" which Blob Storage turns into "/", empty segments) and make two keys name
// one blob.
func checkKey(key string) error {
	if key == "" || len(key) > maxKeyLen {
		return fmt.Errorf("%w: length %d, want 1 to %d", ErrBadKey, len(key), maxKeyLen)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: empty, \".\" or \"..\" path segment", ErrBadKey)
		}
		for _, c := range []byte(seg) {
			if !keyByte(c) {
				return fmt.Errorf("%w: character %q not allowed", ErrBadKey, c)
			}
		}
	}
	return nil
}

func keyByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~=", c) >= 0
}

// Metadata names. The service hands names back in whatever case the HTTP layer chose, so
// they are looked up case-insensitively.
const (
	metaExpires = "expiresunixms"
	metaWriter  = "writer"
)

func recordMetadata(expires time.Time, writer string) map[string]*string {
	ms := strconv.FormatInt(expires.UnixMilli(), 10)
	return map[string]*string{metaExpires: &ms, metaWriter: &writer}
}

// parseMetadata reads a record's expiry and writer. A blob without a valid expiry is an
// error rather than a live or an absent record: it was not written by this store.
func parseMetadata(meta map[string]*string) (expires time.Time, writer string, err error) {
	var ms string
	found := false
	for name, v := range meta {
		switch {
		case v == nil:
		case strings.EqualFold(name, metaExpires):
			ms, found = *v, true
		case strings.EqualFold(name, metaWriter):
			writer = *v
		}
	}
	if !found {
		return time.Time{}, "", errors.New("record has no expiry metadata")
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return time.Time{}, "", fmt.Errorf("record expiry metadata: %w", err)
	}
	return time.UnixMilli(n), writer, nil
}
