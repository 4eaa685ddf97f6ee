package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"

	"idmebridge/internal/azuritetest"
	"idmebridge/internal/store"
	"idmebridge/internal/store/storetest"
)

func TestMemoryConformance(t *testing.T) {
	storetest.Run(t, func(_ *testing.T, now func() time.Time) store.Store { return store.NewMemory(now) })
}

func TestBlobConformance(t *testing.T) {
	conn := azuritetest.Start(t)
	var n atomic.Int32
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		client, err := azblob.NewClientFromConnectionString(conn, nil)
		if err != nil {
			t.Fatal(err)
		}
		b := store.NewBlob(client, fmt.Sprintf("conformance%d", n.Add(1)), store.BlobOptions{Now: now})
		if err := b.EnsureContainer(context.Background()); err != nil {
			t.Fatal(err)
		}
		return b
	})
}
