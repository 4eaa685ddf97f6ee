package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
)

// Blob is a Store on Azure Blob Storage, shared by every instance. Each record is one block
// blob named by its key ("code/…" becomes a virtual directory); its expiry is kept in the
// blob's metadata and checked on every read; it never lets a key be written twice.
//
// The store never deletes. Expired blobs must also be removed by a storage lifecycle
// management rule on the container (delete base blobs some time after last modification,
// longer than the longest TTL in use), or they accumulate.
type Blob struct {
	container *container.Client
	timeout   time.Duration
	now       func() time.Time
}

// BlobOptions tunes a Blob store. The zero value is usable.
type BlobOptions struct {
	// Timeout bounds each call to Blob Storage; zero means DefaultBlobTimeout.
	Timeout time.Duration
	// Now is the clock records expire by; nil means time.Now.
	Now func() time.Time
}

// DefaultBlobTimeout bounds one call to Blob Storage when BlobOptions.Timeout is zero.
const DefaultBlobTimeout = 5 * time.Second

const (
	// maxValueBytes bounds a record, so a stray large blob cannot exhaust memory on read.
	maxValueBytes = 1 << 20
)

// NewBlob returns a store keeping records in the named container of client.
func NewBlob(client *azblob.Client, containerName string, opts BlobOptions) *Blob {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultBlobTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Blob{
		container: client.ServiceClient().NewContainerClient(containerName),
		timeout:   opts.Timeout,
		now:       opts.Now,
	}
}

// EnsureContainer creates the container unless it exists already.
func (b *Blob) EnsureContainer(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	_, err := b.container.Create(ctx, nil)
	if err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		return fmt.Errorf("blob store: create container: %w", err)
	}
	return nil
}

// Create stores value under key unless a blob of that name exists, live or expired: one
// conditional create (If-None-Match: *). Only when the service answers that the blob exists is
// it inspected, to tell this call's own earlier attempt (the SDK retries a request whose
// response was lost) from anyone else's record.
func (b *Blob) Create(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if len(value) > maxValueBytes {
		return fmt.Errorf("blob store: record %q is %d bytes, over the %d limit", key, len(value), maxValueBytes)
	}
	writer := rand.Text()
	meta := recordMetadata(b.now().Add(ttl), writer)
	bb := b.container.NewBlockBlobClient(key)

	err := b.upload(ctx, bb, value, meta, &blob.ModifiedAccessConditions{IfNoneMatch: to.Ptr(azcore.ETagAny)})
	if err == nil {
		return nil
	}
	if !isConflict(err) {
		return fmt.Errorf("blob store: create %q: %w", key, err)
	}
	owner, err := b.writerOf(ctx, bb)
	switch {
	case hasStatus(err, 404):
		return ErrExists // it existed a moment ago and has since been deleted: still used
	case err != nil:
		return fmt.Errorf("blob store: create %q: %w", key, err)
	case owner == writer:
		return nil
	}
	return ErrExists
}

// Get returns the live record under key. Only a missing blob or an expired record is
// ErrNotFound; every other failure is an error, so callers fail closed.
func (b *Blob) Get(ctx context.Context, key string) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	resp, err := b.container.NewBlobClient(key).DownloadStream(ctx, nil)
	if bloberror.HasCode(err, bloberror.BlobNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("blob store: get %q: %w", key, err)
	}
	defer resp.Body.Close()
	expires, _, err := parseMetadata(resp.Metadata)
	if err != nil {
		return nil, fmt.Errorf("blob store: get %q: %w", key, err)
	}
	if !b.now().Before(expires) {
		return nil, ErrNotFound
	}
	value, err := io.ReadAll(io.LimitReader(resp.Body, maxValueBytes+1))
	if err != nil {
		return nil, fmt.Errorf("blob store: get %q: read: %w", key, err)
	}
	if len(value) > maxValueBytes {
		return nil, fmt.Errorf("blob store: get %q: record over the %d byte limit", key, maxValueBytes)
	}
	return value, nil
}

func (b *Blob) upload(ctx context.Context, bb *blockblob.Client, value []byte, meta map[string]*string, cond *blob.ModifiedAccessConditions) error {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	_, err := bb.Upload(ctx, streaming.NopCloser(bytes.NewReader(value)), &blockblob.UploadOptions{
		Metadata:         meta,
		AccessConditions: &blob.AccessConditions{ModifiedAccessConditions: cond},
	})
	return err
}

// writerOf reads the writer recorded on an existing blob. A blob without the store's
// metadata is an error: it was not written by this store.
func (b *Blob) writerOf(ctx context.Context, bb *blockblob.Client) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	props, err := bb.GetProperties(ctx, nil)
	if err != nil {
		return "", err
	}
	_, writer, err := parseMetadata(props.Metadata)
	return writer, err
}

// isConflict reports the answers to a conditional write whose condition did not hold.
func isConflict(err error) bool {
	return bloberror.HasCode(err, bloberror.BlobAlreadyExists, bloberror.ConditionNotMet)
}

// hasStatus matches on the status code: responses to HEAD carry no error body.
func hasStatus(err error, status int) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.StatusCode == status
}
