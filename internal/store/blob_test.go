package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"idmebridge/internal/azuritetest"
)

// clock is a settable clock safe to read from many goroutines.
type clock struct{ unixNano atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.unixNano.Store(time.Unix(1_700_000_000, 0).UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.unixNano.Load()) }
func (c *clock) Advance(d time.Duration) { c.unixNano.Add(int64(d)) }

// neither reports an error that callers must treat as a failure, not as an answer.
func neither(err error) bool { return !errors.Is(err, ErrExists) && !errors.Is(err, ErrNotFound) }

func fatalIf(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestBlobOnAzurite shares one Azurite (slow to start) among tests that each use their own
// container.
func TestBlobOnAzurite(t *testing.T) {
	conn := azuritetest.Start(t)
	tests := []struct {
		name string
		run  func(*testing.T, azurite)
	}{
		{"create, get, expire", testBlobCreateGetExpire},
		{"values round-trip", testBlobValuesRoundTrip},
		{"keys", testBlobKeys},
		{"create is atomic", testBlobCreateIsAtomic},
		{"skewed clock cannot re-create", testBlobSkewedClockCannotRecreate},
		{"fails closed", testBlobFailsClosed},
		{"create survives lost response", testBlobCreateSurvivesLostResponse},
		{"create races other writers", testBlobCreateInterleaved},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, azurite{conn: conn, container: fmt.Sprintf("records%d", i)})
		})
	}
}

type azurite struct{ conn, container string }

// store returns a store on the test's own container, and the client under it.
func (a azurite) store(t *testing.T, now func() time.Time, opts *azblob.ClientOptions) (*Blob, *azblob.Client) {
	t.Helper()
	client, err := azblob.NewClientFromConnectionString(a.conn, opts)
	fatalIf(t, err)
	b := NewBlob(client, a.container, BlobOptions{Now: now})
	fatalIf(t, b.EnsureContainer(context.Background()))
	return b, client
}

func testBlobCreateGetExpire(t *testing.T, az azurite) {
	clk := newClock()
	b, _ := az.store(t, clk.Now, nil)
	ctx := context.Background()

	fatalIf(t, b.EnsureContainer(ctx)) // a second call finds it there
	fatalIf(t, b.Create(ctx, "code/k", []byte("v1"), time.Minute))
	steps := []struct {
		name    string
		advance time.Duration
		op      func() error
		want    error
	}{
		{"second create refused", 0, func() error { return b.Create(ctx, "code/k", []byte("v2"), time.Minute) }, ErrExists},
		{"get live", 0, func() error { return expectBlobValue(b, "code/k", "v1") }, nil},
		{"get missing", 0, func() error { _, err := b.Get(ctx, "code/nope"); return err }, ErrNotFound},
		{"still live just before expiry", time.Minute - time.Millisecond, func() error { return expectBlobValue(b, "code/k", "v1") }, nil},
		{"create just before expiry refused", 0, func() error { return b.Create(ctx, "code/k", []byte("v2"), time.Minute) }, ErrExists},
		{"get at expiry", time.Millisecond, func() error { _, err := b.Get(ctx, "code/k"); return err }, ErrNotFound},
		{"create after expiry refused", 0, func() error { return b.Create(ctx, "code/k", []byte("v3"), time.Minute) }, ErrExists},
		{"still expired after the refused create", 0, func() error { _, err := b.Get(ctx, "code/k"); return err }, ErrNotFound},
	}
	for _, s := range steps {
		clk.Advance(s.advance)
		if err := s.op(); !errors.Is(err, s.want) {
			t.Fatalf("%s: err = %v, want %v", s.name, err, s.want)
		}
	}
}

func expectBlobValue(b *Blob, key, want string) error {
	got, err := b.Get(context.Background(), key)
	if err != nil {
		return err
	}
	if string(got) != want {
		return fmt.Errorf("got %q, want %q", got, want)
	}
	return nil
}

func testBlobValuesRoundTrip(t *testing.T, az azurite) {
	b, _ := az.store(t, nil, nil)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	cases := []struct {
		name  string
		value []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"every byte", all},
		{"json", []byte(`{"sub":"ü","groups":["a"]}`)},
		{"whitespace and newlines", []byte(" \r\n\t \n")},
		{"large", bytes.Repeat([]byte("0123456789abcdef"), 64<<10/16)},
	}
	for i, c := range cases {
		key := fmt.Sprintf("value/%d", i)
		if err := b.Create(context.Background(), key, c.value, time.Minute); err != nil {
			t.Fatalf("%s: create: %v", c.name, err)
		}
		got, err := b.Get(context.Background(), key)
		if err != nil {
			t.Fatalf("%s: get: %v", c.name, err)
		}
		if !bytes.Equal(got, c.value) {
			t.Errorf("%s: got %d bytes %q, want %d bytes", c.name, len(got), trim(got), len(c.value))
		}
	}
}

func trim(b []byte) []byte { return b[:min(len(b), 40)] }

func testBlobKeys(t *testing.T, az azurite) {
	b, client := az.store(t, nil, nil)
	ctx := context.Background()
	cases := []struct {
		key string
		ok  bool
	}{
		{"code/AbC-_xyz09", true},
		{"revoked/grant.1~=", true},
		{"a/b/c", true},
		{strings.Repeat("k", maxKeyLen), true},
		{"", false},
		{strings.Repeat("k", maxKeyLen+1), false},
		{"/code", false},
		{"code/", false},
		{"code//x", false},
		{"code/../revoked/x", false},
		{"code/./x", false},
		{`code\x`, false},
		{"code/a b", false},
		{"code/a?b", false},
		{"code/a%2Fb", false},
		{"code/é", false},
	}
	for _, c := range cases {
		errCreate := b.Create(ctx, c.key, []byte("v"), time.Minute)
		_, errGet := b.Get(ctx, c.key)
		if c.ok {
			if errCreate != nil || errGet != nil {
				t.Errorf("key %.20q: create %v, get %v; want both to succeed", c.key, errCreate, errGet)
			}
			continue
		}
		for _, err := range []error{errCreate, errGet} {
			if !errors.Is(err, ErrBadKey) || !neither(err) {
				t.Errorf("key %.20q: err = %v, want ErrBadKey", c.key, err)
			}
		}
	}

	// "/" in a key makes a virtual directory, not an escaped name.
	pager := client.NewListBlobsFlatPager(az.container, &container.ListBlobsFlatOptions{Prefix: to.Ptr("code/")})
	var names []string
	for pager.More() {
		page, err := pager.NextPage(ctx)
		fatalIf(t, err)
		for _, item := range page.Segment.BlobItems {
			names = append(names, *item.Name)
		}
	}
	if len(names) != 1 || names[0] != "code/AbC-_xyz09" {
		t.Fatalf("blobs under code/ = %q, want [code/AbC-_xyz09]", names)
	}
}

func testBlobCreateIsAtomic(t *testing.T, az azurite) {
	b, _ := az.store(t, nil, nil)
	wins, others := race(50, func(i int) error {
		return b.Create(context.Background(), "code/once", []byte{byte(i)}, time.Minute)
	})
	if wins != 1 || len(others) != 0 {
		t.Fatalf("%d creates succeeded, unexpected errors %v; want exactly 1 success and only ErrExists", wins, others)
	}
}

// testBlobSkewedClockCannotRecreate: two instances share the container, one with its clock
// six minutes ahead. To it every record of the other has expired, yet it must not write one
// again: that would let a code be redeemed twice.
func testBlobSkewedClockCannotRecreate(t *testing.T, az azurite) {
	clk := newClock()
	slow, _ := az.store(t, clk.Now, nil)
	fast, _ := az.store(t, func() time.Time { return clk.Now().Add(6 * time.Minute) }, nil)
	ctx := context.Background()
	fatalIf(t, slow.Create(ctx, "redeemed/x", nil, 5*time.Minute))
	if _, err := fast.Get(ctx, "redeemed/x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("fast clock reads the record: err = %v, want ErrNotFound (expired by its clock)", err)
	}
	wins, others := race(10, func(i int) error { return fast.Create(ctx, "redeemed/x", nil, 5*time.Minute) })
	if wins != 0 || len(others) != 0 {
		t.Fatalf("fast clock re-created an expired record %d times (other errors %v); want ErrExists every time", wins, others)
	}
}

// race runs n calls of f at once and counts successes; errors other than ErrExists are
// returned.
func race(n int, f func(i int) error) (wins int, others []error) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			err := f(i)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, ErrExists):
				others = append(others, err)
			}
		})
	}
	close(start)
	wg.Wait()
	return wins, others
}

func testBlobFailsClosed(t *testing.T, az azurite) {
	b, client := az.store(t, nil, nil)
	ctx := context.Background()
	noContainer := NewBlob(client, "absent", BlobOptions{})
	// A blob this store did not write: no expiry in its metadata.
	_, err := client.UploadBuffer(ctx, az.container, "code/foreign", []byte("x"), nil)
	fatalIf(t, err)

	cases := []struct {
		name string
		op   func() error
	}{
		{"get from missing container", func() error { _, err := noContainer.Get(ctx, "code/k"); return err }},
		{"create in missing container", func() error { return noContainer.Create(ctx, "code/k", nil, time.Minute) }},
		{"get record without expiry", func() error { _, err := b.Get(ctx, "code/foreign"); return err }},
		{"create over record without expiry", func() error { return b.Create(ctx, "code/foreign", nil, time.Minute) }},
		{"create oversized record", func() error { return b.Create(ctx, "code/big", make([]byte, maxValueBytes+1), time.Minute) }},
	}
	for _, c := range cases {
		if err := c.op(); err == nil || !neither(err) {
			t.Errorf("%s: err = %v, want an error that is neither ErrExists nor ErrNotFound", c.name, err)
		}
	}
}

func TestBlobUnreachable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	fatalIf(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there any more

	client, err := azblob.NewClientFromConnectionString(azuritetest.ConnString(port), nil)
	fatalIf(t, err)
	const timeout = 300 * time.Millisecond
	b := NewBlob(client, "records", BlobOptions{Timeout: timeout})
	ctx := context.Background()
	cases := []struct {
		name string
		op   func() error
	}{
		{"ensure container", func() error { return b.EnsureContainer(ctx) }},
		{"create", func() error { return b.Create(ctx, "code/k", []byte("v"), time.Minute) }},
		{"get", func() error { _, err := b.Get(ctx, "code/k"); return err }},
	}
	for _, c := range cases {
		start := time.Now()
		err := c.op()
		if elapsed := time.Since(start); elapsed > timeout+time.Second {
			t.Errorf("%s: took %s with a %s timeout", c.name, elapsed, timeout)
		}
		if err == nil || !neither(err) {
			t.Errorf("%s: err = %v, want an error that is neither ErrExists nor ErrNotFound", c.name, err)
		}
	}
}

// loseFirstCreateResponse performs requests but reports the first conditional create as
// failed after it reached the service, as when a response is lost on the network.
type loseFirstCreateResponse struct{ lost atomic.Bool }

func (l *loseFirstCreateResponse) Do(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && req.Method == http.MethodPut && req.Header.Get("If-None-Match") == "*" && l.lost.CompareAndSwap(false, true) {
		resp.Body.Close()
		return nil, errors.New("connection reset after the request was sent")
	}
	return resp, err
}

func testBlobCreateSurvivesLostResponse(t *testing.T, az azurite) {
	transport := &loseFirstCreateResponse{}
	b, _ := az.store(t, nil, &azblob.ClientOptions{ClientOptions: azcore.ClientOptions{
		Transport: transport,
		Retry:     policy.RetryOptions{RetryDelay: 10 * time.Millisecond},
	}})
	ctx := context.Background()
	// The SDK retries; the retry meets this call's own blob and must not report ErrExists.
	fatalIf(t, b.Create(ctx, "code/lost", []byte("v"), time.Minute))
	if !transport.lost.Load() {
		t.Fatal("no response was lost; the test did not exercise the retry")
	}
	if err := b.Create(ctx, "code/lost", []byte("v"), time.Minute); !errors.Is(err, ErrExists) {
		t.Fatalf("second create: err = %v, want ErrExists", err)
	}
}

// interleave runs hook once, in the middle of a Create, right after the first response
// that match accepts: another instance acts between two of this store's requests.
type interleave struct {
	match func(*http.Request, *http.Response) bool
	hook  func() error
	fired atomic.Bool
	err   error
}

func (i *interleave) Do(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && i.match(req, resp) && i.fired.CompareAndSwap(false, true) {
		i.err = i.hook()
	}
	return resp, err
}

func testBlobCreateInterleaved(t *testing.T, az azurite) {
	ctx := context.Background()
	other, client := az.store(t, nil, nil)
	isConflict := func(req *http.Request, resp *http.Response) bool {
		return req.Header.Get("If-None-Match") == "*" && resp.StatusCode == http.StatusConflict
	}
	key := "code/interleaved"
	fatalIf(t, other.Create(ctx, key, []byte("old"), time.Second))
	// The record vanished (lifecycle rule) between the conflict and the read: it was there,
	// so the key is used.
	tr := &interleave{match: isConflict, hook: func() error {
		_, err := client.DeleteBlob(ctx, az.container, key, nil)
		return err
	}}
	mine, _ := az.store(t, nil, &azblob.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: tr}})
	if err := mine.Create(ctx, key, []byte("mine"), time.Minute); !errors.Is(err, ErrExists) {
		t.Errorf("err = %v, want ErrExists", err)
	}
	if !tr.fired.Load() || tr.err != nil {
		t.Fatalf("the other writer did not act (fired %v, err %v)", tr.fired.Load(), tr.err)
	}
	if _, err := mine.Get(ctx, key); !errors.Is(err, ErrNotFound) {
		t.Errorf("get after the refused create: err = %v, want ErrNotFound", err)
	}
}

func TestNewBlobClient(t *testing.T) {
	const key = "dGVzdGtleQ=="
	cases := []struct {
		name    string
		conn    Connection
		noCred  bool
		wantURL string // empty: an error is expected
	}{
		{"connection string", Connection{ConnectionString: "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + key + ";EndpointSuffix=core.windows.net"},
			false, "https://acct.blob.core.windows.net/"},
		{"connection string wins over identity", Connection{ConnectionString: "AccountName=acct;AccountKey=" + key, ServiceURL: "https://other.blob.core.windows.net/"},
			false, "https://acct.blob.core.windows.net/"},
		{"service url", Connection{ServiceURL: "https://acct.blob.core.windows.net/"}, false, "https://acct.blob.core.windows.net/"},
		{"none", Connection{}, false, ""},
		{"malformed connection string", Connection{ConnectionString: "not a connection string;AccountKey=" + key}, false, ""},
		{"identity without credential", Connection{ServiceURL: "https://acct.blob.core.windows.net/"}, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var cred azcore.TokenCredential = &fake.TokenCredential{}
			if c.noCred {
				cred = nil
			}
			client, err := NewBlobClient(c.conn, cred)
			switch {
			case c.wantURL == "" && err == nil:
				t.Fatalf("got a client for %s, want an error", client.URL())
			case c.wantURL == "":
				if strings.Contains(err.Error(), key) {
					t.Fatalf("error reveals the account key: %v", err)
				}
			case err != nil:
				t.Fatalf("err = %v, want a client for %s", err, c.wantURL)
			case client.URL() != c.wantURL:
				t.Fatalf("URL = %s, want %s", client.URL(), c.wantURL)
			}
		})
	}
}
