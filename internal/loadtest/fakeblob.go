package loadtest

import (
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// FakeBlob answers the few Blob Storage requests the bridge's store makes, from memory, so a
// latency run can put a delay in front of a Blob endpoint that answers in microseconds:
// Azurite, on this machine's two cores, takes tens of milliseconds per request at 200 a
// second and would measure itself. It checks no signature and keeps nothing beyond the run.
// Each rule names its source in Microsoft's REST reference (learn.microsoft.com/rest/api/storageservices/):
//   - create-container: PUT .../<container>?restype=container; "If a container with the same
//     name already exists, the operation fails".
//   - specifying-conditional-headers-for-blob-service-operations: If-None-Match with the
//     wildcard (*) performs the operation only if the resource does not exist.
//   - blob-service-error-codes: "BlobAlreadyExists | Conflict (409) | The specified blob
//     already exists", "ContainerAlreadyExists | Conflict (409)".
//   - get-blob-properties: HEAD answers the blob's metadata as x-ms-meta-* headers; 404 when
//     it does not exist (a HEAD carries no body).
//   - the code travels in the x-ms-error-code header, which is where the Azure SDK for Go
//     reads it first (azcore internal/exported/response_error.go, HeaderXMSErrorCode).
type FakeBlob struct {
	mu    sync.Mutex
	blobs map[string]http.Header // path -> the x-ms-meta-* headers it was written with
	srv   *http.Server
	ln    net.Listener
}

// StartFakeBlob listens on listen (loopback).
func StartFakeBlob(listen string) (*FakeBlob, error) {
	if err := checkLoopbackAddr("fake Blob listen address", listen); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("fake blob: %w", err)
	}
	f := &FakeBlob{blobs: map[string]http.Header{}, ln: ln}
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = f.srv.Serve(ln) }()
	return f, nil
}

// URL is the endpoint's base, Azurite's shape without the account.
func (f *FakeBlob) URL() string { return "http://" + f.ln.Addr().String() }

// Close stops the endpoint.
func (f *FakeBlob) Close() error { return f.srv.Close() }

func (f *FakeBlob) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	w.Header().Set("x-ms-request-id", rand.Text())
	fail := func(status int, code string) {
		w.Header().Set("x-ms-error-code", code)
		w.WriteHeader(status)
	}
	container := r.URL.Query().Get("restype") == "container"
	f.mu.Lock()
	meta, exists := f.blobs[r.URL.Path]
	switch {
	case r.Method == http.MethodPut && container && exists:
		f.mu.Unlock()
		fail(http.StatusConflict, "ContainerAlreadyExists")
	case r.Method == http.MethodPut && !container && exists && r.Header.Get("If-None-Match") == "*":
		f.mu.Unlock()
		fail(http.StatusConflict, "BlobAlreadyExists")
	case r.Method == http.MethodPut:
		meta = http.Header{}
		for k, v := range r.Header {
			if strings.HasPrefix(strings.ToLower(k), "x-ms-meta-") {
				meta[k] = v
			}
		}
		f.blobs[r.URL.Path] = meta
		f.mu.Unlock()
		w.Header().Set("ETag", `"`+rand.Text()+`"`)
		w.Header().Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
		w.WriteHeader(http.StatusCreated)
	case r.Method == http.MethodHead && exists:
		f.mu.Unlock()
		for k, v := range meta {
			w.Header()[k] = v
		}
		w.WriteHeader(http.StatusOK)
	case r.Method == http.MethodHead:
		f.mu.Unlock()
		w.WriteHeader(http.StatusNotFound)
	default:
		f.mu.Unlock()
		fail(http.StatusNotImplemented, "NotImplemented")
	}
}
