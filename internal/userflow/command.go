package userflow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"idmebridge/internal/b2cgraph"
	"idmebridge/internal/cli"
)

const usage = `usage: handler userflow <subcommand> [flags]

subcommands:
  setup   create or update, through Microsoft Graph, what a B2C user flow needs to sign in with
          ID.me through the bridge, and print the portal steps Graph cannot do

"handler userflow <subcommand> -h" describes one.
`

var setupUsage = `usage: handler userflow setup -tenant TENANT -issuer URL -client ID -communities LIST [flags]

Makes an Azure AD B2C tenant's built-in user flows sign in with ID.me through the bridge, with
Microsoft Graph, reading first and writing only what differs (a second run writes nothing):

  - the OpenID Connect identity provider (Graph beta): metadata URL ISSUER/.well-known/openid-
    configuration, the client id and secret, scope openid, response type code, response mode
    form_post, domain hint id.me, claims mapping sub, name, given_name, family_name, email;
  - the custom user attributes the bridge's API connector returns (Graph v1.0): PREFIXGroups,
    PREFIXSubgroups, PREFIX<Community>Verified for each community, PREFIXVerifiedAt,
    PREFIXSubject, named without "extension_";
  - the API connector (Graph v1.0): ISSUER/b2c/api-connector/token-enrichment, HTTP Basic with
    the client id as user name;
  - the identity provider in each -user-flow (Graph beta).

It then prints the portal steps Graph has no documented call for: the "Before sending the token
(preview)" connector step and the Application claims.

Secrets come from files, or from standard input with "-" (one of them), never the command line:
the client secret is the value of the client's secret_name in Key Vault, the connector password
the value of its api_connector_secret_name. They are needed to create the provider and the
connector; Graph never returns them, so an existing one is rewritten only with -update-secrets.

Sign in to the B2C tenant itself (az login --tenant TENANT --allow-no-subscriptions) or set a
service principal's AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET.
Graph permissions (admin consent, in the B2C tenant):
  ` + strings.Join(Permissions(), "\n  ") + `
A signed-in administrator needs the roles Graph names for these calls: External Identity
Provider Administrator, External Identity User Flow Administrator and External Identity User
Flow Attribute Administrator (or Global Administrator).

`

// connectFunc returns Graph v1.0 and beta clients acting in tenant, below root ("" for
// https://graph.microsoft.com).
type connectFunc func(tenant, root string) (v1, beta API, err error)

// DefaultGraphRoot is Graph in the global cloud, without a version.
const DefaultGraphRoot = "https://graph.microsoft.com"

// connectGraph authenticates as "policy deploy" does: azidentity's default chain in tenant.
func connectGraph(tenant, root string) (API, API, error) {
	cred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{TenantID: tenant})
	if err != nil {
		return nil, nil, fmt.Errorf("userflow: Azure credential: %w", err)
	}
	root = strings.TrimRight(root, "/")
	v1, err := b2cgraph.New(cred, b2cgraph.Options{BaseURL: root + "/v1.0"})
	if err != nil {
		return nil, nil, err
	}
	beta, err := b2cgraph.New(cred, b2cgraph.Options{BaseURL: root + "/beta"})
	if err != nil {
		return nil, nil, err
	}
	return v1, beta, nil
}

// Run executes the userflow command.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	group := cli.NewFlagSet("userflow", usage)
	name, rest, err := cli.Subcommand(group, args, stdout, stderr)
	if err != nil {
		return err
	}
	if name != "setup" {
		return cli.Usage(group, stderr, fmt.Errorf("unknown subcommand %q", name))
	}
	return runSetup(ctx, rest, os.Stdin, stdout, stderr, connectGraph)
}

// listFlag is a repeatable flag that also takes comma-separated values.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, x := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		*l = append(*l, x)
	}
	return nil
}

func runSetup(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, connect connectFunc) error {
	fs := cli.NewFlagSet("userflow setup", setupUsage)
	tenant := fs.String("tenant", "", "B2C tenant to sign in to, e.g. contoso.onmicrosoft.com: required")
	issuer := fs.String("issuer", "", "the bridge's BRIDGE_ISSUER, e.g. https://idme-bridge.example.com: required")
	client := fs.String("client", "", "the tenant's client_id in BRIDGE_CLIENTS: required")
	var communities, flows listFlag
	fs.Var(&communities, "communities", "the client's ID.me communities, e.g. military,student: required")
	fs.Var(&flows, "user-flow", "user flow id to add the identity provider to, e.g. B2C_1_signupsignin (repeatable)")
	prefix := fs.String("claim-prefix", DefaultClaimPrefix, "the bridge's B2C_API_CONNECTOR_CLAIM_PREFIX")
	providerName := fs.String("provider-name", "ID.me", "display name of the identity provider (the sign-in button)")
	connectorName := fs.String("connector-name", "ID.me verification", "display name of the API connector")
	secretFile := fs.String("client-secret-file", "", `file holding the client secret, or "-" for standard input`)
	passwordFile := fs.String("connector-password-file", "", `file holding the connector's Basic password, or "-" for standard input`)
	updateSecrets := fs.Bool("update-secrets", false, "also write the secrets given to a provider or connector that exists (after a rotation)")
	graphRoot := fs.String("graph", DefaultGraphRoot, "Microsoft Graph, without the version")
	dryRun := fs.Bool("dry-run", false, "read the tenant and print every write instead of making it")
	if err := cli.Parse(fs, args, stdout, stderr); err != nil {
		if fs.NArg() > 0 && !errors.Is(err, cli.ErrHelp) {
			return &cli.UsageError{Command: fs.Name(), Err: errors.New("unexpected arguments: secrets are read from files or standard input, never the command line")}
		}
		return err
	}
	if *tenant == "" {
		return cli.Usage(fs, stderr, errors.New("-tenant is required: writing to the wrong tenant is not a default"))
	}
	if *secretFile == "-" && *passwordFile == "-" {
		return cli.Usage(fs, stderr, errors.New("only one secret can come from standard input: give the other as a file"))
	}
	p := Plan{
		Issuer: *issuer, ClientID: *client, Communities: communities, ClaimPrefix: *prefix,
		ProviderName: *providerName, ConnectorName: *connectorName, UserFlows: flows,
		UpdateSecrets: *updateSecrets,
	}
	if err := p.Check(); err != nil {
		return cli.Usage(fs, stderr, err)
	}
	var err error
	if p.ClientSecret, err = readSecret(*secretFile, "client secret", stdin); err != nil {
		return err
	}
	if p.ConnectorPassword, err = readSecret(*passwordFile, "connector password", stdin); err != nil {
		return err
	}
	v1, beta, err := connect(*tenant, *graphRoot)
	if err != nil {
		return err
	}
	s := Setup{V1: v1, Beta: beta, Out: stdout, DryRun: *dryRun}
	r, err := s.Run(ctx, p)
	if err != nil {
		return fmt.Errorf("userflow setup: %w", err)
	}
	switch {
	case *dryRun:
		fmt.Fprintf(stdout, "dry run: %d write(s) would be made in %s\n", r.Writes, *tenant)
	case r.Writes == 0:
		fmt.Fprintf(stdout, "%s is up to date: nothing written\n", *tenant)
	default:
		fmt.Fprintf(stdout, "%d write(s) made in %s\n", r.Writes, *tenant)
	}
	PrintPortalSteps(stdout, p, r)
	return nil
}

// maxSecret bounds what is read as a secret.
const maxSecret = 4096

// readSecret reads one secret from path ("-": stdin; "": none given), without its line break.
func readSecret(path, what string, stdin io.Reader) (string, error) {
	if path == "" {
		return "", nil
	}
	r, source := stdin, "standard input"
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return "", fmt.Errorf("userflow setup: %s: %w", what, err)
		}
		defer f.Close()
		r, source = f, path
	}
	data, err := io.ReadAll(io.LimitReader(r, maxSecret+1))
	if err != nil {
		return "", fmt.Errorf("userflow setup: read the %s from %s: %w", what, source, err)
	}
	secret := strings.TrimRight(string(data), "\r\n")
	switch {
	case len(data) > maxSecret:
		return "", fmt.Errorf("userflow setup: %s holds more than %d bytes: not a %s", source, maxSecret, what)
	case secret == "":
		return "", fmt.Errorf("userflow setup: the %s in %s is empty", what, source)
	case strings.ContainsAny(secret, "\r\n"):
		return "", fmt.Errorf("userflow setup: %s holds more than one line", source)
	}
	return secret, nil
}
