package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"

	"idmebridge/internal/authext"
	"idmebridge/internal/entrauser"
	"idmebridge/internal/verification"
)

// maxRecordBytes bounds a verification record read back from storage.
const maxRecordBytes = 64 << 10

// memoryRecords is where a single local instance keeps verification records (BRIDGE_STORE
// memory), so the External ID extension can be tried without Blob Storage.
func (b *Bridge) memoryRecords() *verification.Memory {
	if b.memRecords == nil {
		b.memRecords = verification.NewMemory()
	}
	return b.memRecords
}

// addExternalID builds the External ID custom authentication extension when the settings turn
// it on.
func (b *Bridge) addExternalID(p Parts) error {
	x := p.Config.ExternalID
	if !x.Enabled {
		return nil
	}
	identity, err := Credential(p)
	if err != nil {
		return fmt.Errorf("external ID extension: %w", err)
	}
	cred, err := graphCredential(x, identity, nil)
	if err != nil {
		return fmt.Errorf("external ID extension: %w", err)
	}
	users, err := entrauser.New(entrauser.Options{GraphURL: x.GraphURL, Credential: cred, Issuer: x.IdentityIssuer, Timeout: x.Budget})
	if err != nil {
		return err
	}
	records, err := b.verificationReader(p)
	if err != nil {
		return err
	}
	ext, err := authext.New(authext.Options{Config: x, Users: users, Records: records, Logger: p.Logger, Now: p.Now})
	if err != nil {
		return err
	}
	b.background = append(b.background, ext.Warm)
	b.extension = ext
	return nil
}

// verificationReader reads back the records verificationWriter keeps.
func (b *Bridge) verificationReader(p Parts) (*verification.Reader, error) {
	if p.Config.Azure.Store == "memory" {
		m := b.memoryRecords()
		return verification.NewReader(m.List, m.Get), nil
	}
	client, err := b.blobClient(p)
	if err != nil {
		return nil, fmt.Errorf("verification records: %w", err)
	}
	container := p.Config.Azure.VerificationContainer
	list := func(ctx context.Context, prefix string) ([]string, error) {
		var names []string
		pager := client.NewListBlobsFlatPager(container, &azblob.ListBlobsFlatOptions{Prefix: &prefix})
		for pager.More() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				return nil, recordStoreError(err)
			}
			for _, item := range page.Segment.BlobItems {
				if item.Name != nil {
					names = append(names, *item.Name)
				}
			}
		}
		return names, nil
	}
	get := func(ctx context.Context, name string) ([]byte, error) {
		resp, err := client.DownloadStream(ctx, container, name, nil)
		if err != nil {
			return nil, recordStoreError(err)
		}
		defer resp.Body.Close()
		return io.ReadAll(io.LimitReader(resp.Body, maxRecordBytes))
	}
	return verification.NewReader(list, get), nil
}

// recordStoreError says what went wrong with a verification record's storage without the
// blob's URL, whose path and query name the ID.me uuid: the error is logged. A record removed
// between the listing and the download (a retention rule) is no record, not an outage.
func recordStoreError(err error) error {
	if bloberror.HasCode(err, bloberror.BlobNotFound) {
		return verification.ErrNoRecord
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return fmt.Errorf("blob storage answered %d %s", re.StatusCode, re.ErrorCode)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("blob storage: %w", ue.Err)
	}
	for _, ctxErr := range []error{context.DeadlineExceeded, context.Canceled} {
		if errors.Is(err, ctxErr) {
			return fmt.Errorf("blob storage: %w", ctxErr)
		}
	}
	return errors.New("blob storage call failed")
}
