package doctor

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"

	"idmebridge/internal/app"
	"idmebridge/internal/config"
)

// checkBlob writes, reads back and deletes a probe blob in each container the bridge uses, with
// the client serve builds.
func checkBlob(ctx context.Context, cfg *config.Config, o Options) []Finding {
	var containers []string
	if cfg.Azure.Store == "blob" {
		containers = append(containers, cfg.Azure.StoreContainer)
	}
	if cfg.Azure.VerificationRecords {
		containers = append(containers, cfg.Azure.VerificationContainer)
	}
	if len(containers) == 0 {
		return []Finding{{Check: "blob", Status: Skip, Detail: "BRIDGE_STORE=memory and no verification records: Blob Storage is not used"}}
	}
	where := cfg.Azure.Storage.Describe()
	client, err := app.BlobClient(app.Parts{Config: cfg, Credential: o.Credential})
	if err != nil {
		return []Finding{{Check: "blob", Status: Fail, Subject: where, Detail: err.Error(), Fix: storageFix(cfg, err)}}
	}
	var findings []Finding
	for _, container := range containers {
		f := Finding{Check: "blob", Subject: container + " on " + where}
		if err := probeContainer(ctx, client, container, o); err != nil {
			f.Status, f.Detail, f.Fix = Fail, "cannot write and read a blob: "+firstLine(err), storageFix(cfg, err)
		} else {
			f.Status, f.Detail = Pass, "reachable and writable (a probe blob was written, read back and deleted)"
		}
		findings = append(findings, f)
	}
	return findings
}

func probeContainer(ctx context.Context, client *azblob.Client, container string, o Options) error {
	cctx, cancel := withTimeout(ctx, o)
	defer cancel()
	if _, err := client.CreateContainer(cctx, container, nil); err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		return fmt.Errorf("create container: %w", err)
	}
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	name := "doctor-probe/" + hex.EncodeToString(id)
	body := []byte("idme-bridge doctor probe " + name)
	if _, err := client.UploadBuffer(cctx, container, name, body, nil); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	defer func() { _, _ = client.DeleteBlob(context.WithoutCancel(cctx), container, name, nil) }()
	resp, err := client.DownloadStream(cctx, container, name, nil)
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if !bytes.Equal(got, body) {
		return errors.New("read back something other than was written")
	}
	return nil
}

func storageFix(cfg *config.Config, err error) string {
	var re *azcore.ResponseError
	switch {
	case bloberror.HasCode(err, "KeyBasedAuthenticationNotPermitted"):
		return "the account refuses shared keys: use the identity-based settings (" + config.StorageAccountSetting + " with " + config.StorageCredentialSetting + "=managedidentity) instead of a connection string"
	case errors.As(err, &re) && re.StatusCode == http.StatusForbidden:
		return "grant the storage connection's identity the 'Storage Blob Data Contributor' role on the account (" + config.StorageClientIDSetting + " names a user-assigned one)"
	case cfg.Azure.Storage.ConnectionString != "":
		return "check " + config.StorageSetting + " (locally, UseDevelopmentStorage=true needs Azurite running)"
	default:
		return "check " + config.StorageAccountSetting + " / " + config.StorageBlobServiceSetting + " and the account's network rules"
	}
}
