package policy

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"idmebridge/internal/b2cgraph"
	"idmebridge/internal/cli"
)

// graph is what deploy and key need from Microsoft Graph (b2cgraph.Client).
type graph interface {
	UploadPolicy(ctx context.Context, id string, document []byte) (created bool, err error)
	EnsureKeySet(ctx context.Context, id string) (b2cgraph.KeySet, bool, error)
	UploadSecret(ctx context.Context, id string, s b2cgraph.Secret) (b2cgraph.Key, error)
}

// connectFunc returns a Graph client acting in tenant, at baseURL ("" for the global cloud).
type connectFunc func(tenant, baseURL string) (graph, error)

// connectGraph authenticates with azidentity's default chain: environment (a service
// principal's AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET), workload identity (GitHub
// Actions OIDC), managed identity, then the Azure CLI and azd sign-ins, each in tenant.
func connectGraph(tenant, baseURL string) (graph, error) {
	cred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{TenantID: tenant})
	if err != nil {
		return nil, fmt.Errorf("policy: Azure credential: %w", err)
	}
	return b2cgraph.New(cred, b2cgraph.Options{BaseURL: baseURL})
}

const deployUsage = `usage: handler policy deploy -env NAME [flags]

Renders and checks the policy files for one environment of appsettings.json (as "policy render"
does), then uploads them to the environment's B2C tenant through Microsoft Graph, each base
before the files that extend it. The starter pack's files (TrustFrameworkBase,
TrustFrameworkLocalization, TrustFrameworkExtensions) are the tenant's: upload them first, once.
Needs Policy.ReadWrite.TrustFramework in the tenant (see the README).

`

// runDeploy is "policy deploy".
func runDeploy(ctx context.Context, args []string, stdout, stderr io.Writer, connect connectFunc) error {
	fs := cli.NewFlagSet("policy deploy", deployUsage)
	src := fs.String("src", "policies", "folder with appsettings.json and the policy templates")
	env := fs.String("env", "", "environment (Name) in appsettings.json: required")
	out := fs.String("out", "", "where to write the rendered files (default SRC/build/ENV)")
	tenant := fs.String("tenant", "", "B2C tenant to sign in to (default: the environment's Tenant)")
	graphURL := fs.String("graph", "", "Microsoft Graph beta endpoint (default "+b2cgraph.DefaultBaseURL+")")
	dryRun := fs.Bool("dry-run", false, "render, check and list the uploads without making them")
	if err := cli.Parse(fs, args, stdout, stderr); err != nil {
		return err
	}
	if *env == "" {
		return cli.Usage(fs, stderr, errors.New("-env is required: uploading to the wrong tenant is not a default"))
	}
	// The files uploaded are the ones rendered and checked here, in memory: reading them back
	// from dir would also upload whatever an earlier render left there (a community dropped
	// from VerifyCommunities, a file rendered with old settings).
	dir := outDir(*src, *env, *out)
	environment, files, err := renderChecked(*src, *env, dir, "policy deploy", stderr)
	if err != nil {
		return err
	}
	if *tenant == "" {
		*tenant = environment.Tenant
	}
	if err := writeDir(dir, files); err != nil {
		return err
	}
	docs, err := parseAll(files)
	if err != nil {
		return err
	}
	for _, d := range docs {
		// B2C refuses a file for another tenant; saying so here names the file.
		if t := policyTenant(d.data); !strings.EqualFold(t, *tenant) {
			return fmt.Errorf("policy deploy: %s is for tenant %q, not %q; nothing uploaded", d.name, t, *tenant)
		}
	}
	if *dryRun {
		for _, d := range docs {
			fmt.Fprintf(stdout, "would upload %s as %s to %s\n", d.name, d.doc.PolicyID, *tenant)
		}
		return nil
	}
	g, err := connect(*tenant, *graphURL)
	if err != nil {
		return err
	}
	for i, d := range docs {
		created, err := g.UploadPolicy(ctx, d.doc.PolicyID, d.data)
		if err != nil {
			return fmt.Errorf("policy deploy: %s: %w (uploaded before it: %s)", d.name, err, uploadedNames(docs[:i]))
		}
		verb := "replaced"
		if created {
			verb = "created"
		}
		fmt.Fprintf(stdout, "%s %s from %s\n", verb, d.doc.PolicyID, d.name)
	}
	fmt.Fprintf(stdout, "uploaded %d policy files to %s\n", len(docs), *tenant)
	return nil
}

func uploadedNames(docs []parsed) string {
	if len(docs) == 0 {
		return "none"
	}
	names := make([]string, len(docs))
	for i, d := range docs {
		names[i] = d.doc.PolicyID
	}
	return strings.Join(names, ", ")
}

// policyTenant reads a policy file's TenantId attribute.
func policyTenant(data []byte) string {
	var root struct {
		TenantID string `xml:"TenantId,attr"`
	}
	_ = xml.NewDecoder(bytes.NewReader(data)).Decode(&root) // parseAll has already parsed it
	return strings.TrimSpace(root.TenantID)
}

func loadEnvironment(src, name string) (Environment, error) {
	settings, err := LoadSettings(filepath.Join(src, SettingsFile))
	if err != nil {
		return Environment{}, err
	}
	return settings.Environment(name)
}

const keyUsage = `usage: handler policy key -env NAME [-secret-file FILE] [flags]

Stores the client secret B2C presents to the bridge as a B2C policy key, creating the key (for
example B2C_1A_IdmeBridgeSecret) when the tenant has none and adding the secret as its newest
version. The secret is read from FILE, or from standard input when FILE is "-" (the default),
never from the command line, so it stays out of shell history and process lists. It must be
the value of the client's secret_name in the bridge's Key Vault.
Needs TrustFrameworkKeySet.ReadWrite.All in the tenant (see the README).

`

// maxSecret bounds what is read as a secret: a client secret is a few dozen characters.
const maxSecret = 4096

// runKey is "policy key".
func runKey(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, connect connectFunc) error {
	fs := cli.NewFlagSet("policy key", keyUsage)
	src := fs.String("src", "policies", "folder with appsettings.json")
	env := fs.String("env", "", "environment (Name) in appsettings.json: gives the tenant and key name")
	name := fs.String("name", "", "policy key (default: the environment's BridgeClientSecretKey)")
	tenant := fs.String("tenant", "", "B2C tenant to sign in to (default: the environment's Tenant)")
	secretFile := fs.String("secret-file", "-", `file holding the secret, or "-" for standard input`)
	graphURL := fs.String("graph", "", "Microsoft Graph beta endpoint (default "+b2cgraph.DefaultBaseURL+")")
	if err := cli.Parse(fs, args, stdout, stderr); err != nil {
		if fs.NArg() > 0 && !errors.Is(err, cli.ErrHelp) {
			// Not cli's "unexpected argument %q": the argument may be the secret itself.
			return &cli.UsageError{Command: fs.Name(), Err: errors.New("unexpected arguments: the secret is read from -secret-file or standard input, never the command line")}
		}
		return err
	}
	if *env != "" {
		environment, err := loadEnvironment(*src, *env)
		if err != nil {
			return err
		}
		if *tenant == "" {
			*tenant = environment.Tenant
		}
		if *name == "" {
			*name = environment.PolicySettings["BridgeClientSecretKey"]
		}
	}
	if *tenant == "" || *name == "" {
		return cli.Usage(fs, stderr, errors.New("give -env, or both -tenant and -name"))
	}
	secret, err := readSecret(*secretFile, stdin)
	if err != nil {
		return err
	}
	g, err := connect(*tenant, *graphURL)
	if err != nil {
		return err
	}
	id := b2cgraph.KeySetID(*name)
	ks, created, err := g.EnsureKeySet(ctx, id)
	if err != nil {
		return fmt.Errorf("policy key: %w", err)
	}
	if created {
		fmt.Fprintf(stdout, "created policy key %s in %s\n", ks.ID, *tenant)
	}
	// A client secret is a "Signature" key in B2C's terms (the portal's Key usage).
	key, err := g.UploadSecret(ctx, id, b2cgraph.Secret{Use: "sig", Value: secret})
	if err != nil {
		return fmt.Errorf("policy key: %w", err)
	}
	fmt.Fprintf(stdout, "uploaded a new secret version to %s (kid %s); B2C uses it from now on\n", id, key.KID)
	return nil
}

// readSecret reads one secret from path ("-": stdin), without its trailing line break.
func readSecret(path string, stdin io.Reader) (string, error) {
	r := stdin
	source := "standard input"
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return "", fmt.Errorf("policy key: %w", err)
		}
		defer f.Close()
		r, source = f, path
	}
	data, err := io.ReadAll(io.LimitReader(r, maxSecret+1))
	if err != nil {
		return "", fmt.Errorf("policy key: read the secret from %s: %w", source, err)
	}
	if len(data) > maxSecret {
		return "", fmt.Errorf("policy key: %s holds more than %d bytes: not a client secret", source, maxSecret)
	}
	secret := strings.TrimRight(string(data), "\r\n")
	switch {
	case secret == "":
		return "", fmt.Errorf("policy key: %s is empty: pipe the secret in, e.g. az keyvault secret show --vault-name VAULT -n b2c-client-secret --query value -o tsv | handler policy key -env NAME", source)
	case strings.ContainsAny(secret, "\r\n"):
		return "", fmt.Errorf("policy key: %s holds more than one line", source)
	case strings.HasPrefix(secret, "replace-with-"):
		return "", fmt.Errorf("policy key: %s holds the sample's placeholder, not a secret", source)
	}
	return secret, nil
}
