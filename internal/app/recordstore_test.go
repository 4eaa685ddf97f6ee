package app

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"idmebridge/internal/verification"
)

// Storage errors of verification records are logged, so they must not carry the blob's URL
// (its path and query name the ID.me uuid); a blob gone between listing and download is no
// record.
func TestRecordStoreError(t *testing.T) {
	const uuid = "5f1c0c7e9a2b4d3e8f6a1b2c3d4e5f60"
	blobURL := "https://st.blob.core.windows.net/idme-verifications/" + uuid + "/20261206T200405.000000000Z.json?prefix=" + uuid
	for _, tt := range []struct {
		name string
		err  error
		want string // in the message; "" with noRecord
		none bool   // ErrNoRecord
	}{
		{"gone", &azcore.ResponseError{StatusCode: 404, ErrorCode: "BlobNotFound"}, "", true},
		{"forbidden", &azcore.ResponseError{StatusCode: 403, ErrorCode: "AuthorizationPermissionMismatch"}, "403 AuthorizationPermissionMismatch", false},
		{"network", &url.Error{Op: "Get", URL: blobURL, Err: errors.New("connection refused")}, "connection refused", false},
		{"deadline", &url.Error{Op: "Get", URL: blobURL, Err: context.DeadlineExceeded}, "deadline exceeded", false},
		{"other", errors.New("GET " + blobURL + ": boom"), "failed", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := recordStoreError(tt.err)
			if errors.Is(got, verification.ErrNoRecord) != tt.none {
				t.Fatalf("%v: ErrNoRecord %v, want %v", got, !tt.none, tt.none)
			}
			if strings.Contains(got.Error(), uuid) {
				t.Errorf("the error names the subject: %v", got)
			}
			if !tt.none && !strings.Contains(got.Error(), tt.want) {
				t.Errorf("%v, want it to say %q", got, tt.want)
			}
		})
	}
}
