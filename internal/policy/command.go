package policy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"idmebridge/internal/cli"
)

const usage = `usage: handler policy <subcommand> [flags]

subcommands:
  render   render the B2C policy files for one environment and check them
  deploy   render, check, then upload them to the tenant through Microsoft Graph
  key      store the bridge's client secret as the B2C policy key

"handler policy <subcommand> -h" describes one.
`

const renderUsage = `usage: handler policy render [flags]

Renders the B2C policy templates for one environment of appsettings.json and checks the result
before writing anything: every reference resolves (in the files or in the starter pack they
extend), every metadata key is one its technical profile understands, B2C's upload rules hold,
and (with -schema) every file validates against Microsoft's TrustFrameworkPolicy schema. It
prints the upload order and the redirect URIs to register in the bridge's BRIDGE_CLIENTS.

The schema is Microsoft's TrustFrameworkPolicy_0.3.0.0.xsd, at the root of the custom policy
starter pack (github.com/Azure-Samples/active-directory-b2c-custom-policy-starterpack, the file
the B2C VS Code extension uses); it is not part of this repository, so pass its path. The three
patterns in it that libxml2 cannot compile are read as Microsoft meant them. Schema validation
needs xmllint (apt-get install libxml2-utils).
`

// subcommandFunc runs one subcommand of "policy" with the arguments after its name.
type subcommandFunc func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// subcommand finds a subcommand by name; a new one is one more case.
func subcommand(name string) (subcommandFunc, bool) {
	switch name {
	case "render":
		return runRender, true
	case "deploy":
		return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return runDeploy(ctx, args, stdout, stderr, connectGraph)
		}, true
	case "key":
		return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return runKey(ctx, args, os.Stdin, stdout, stderr, connectGraph)
		}, true
	}
	return nil, false
}

// Run executes the policy command.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	group := cli.NewFlagSet("policy", usage)
	name, rest, err := cli.Subcommand(group, args, stdout, stderr)
	if err != nil {
		return err
	}
	run, ok := subcommand(name)
	if !ok {
		return cli.Usage(group, stderr, fmt.Errorf("unknown subcommand %q", name))
	}
	return run(ctx, rest, stdout, stderr)
}

// ErrNoSchema is wrapped when -schema names a file that does not exist.
var ErrNoSchema = errors.New("policy: schema file not found")

func runRender(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("policy render", renderUsage)
	src := fs.String("src", "policies", "folder with appsettings.json and the policy templates")
	env := fs.String("env", "Development", "environment (Name) in appsettings.json")
	out := fs.String("out", "", "where to write the rendered files (default SRC/build/ENV)")
	schema := fs.String("schema", "", "also validate each rendered file against this TrustFrameworkPolicy_0.3.0.0.xsd with xmllint")
	issuer := fs.String("issuer", "", "also check the OpenIdConnect profiles point at this bridge (its BRIDGE_ISSUER)")
	client := fs.String("client", "", "with -issuer: the client_id of the tenant's BRIDGE_CLIENTS entry")
	if err := cli.Parse(fs, args, stdout, stderr); err != nil {
		return err
	}
	if (*issuer == "") != (*client == "") {
		return cli.Usage(fs, stderr, errors.New("-issuer and -client go together"))
	}
	dir := outDir(*src, *env, *out)
	environment, files, err := renderChecked(*src, *env, dir, "policy render", stderr)
	if err != nil {
		return err
	}
	if *schema != "" {
		if err := validateInMemory(ctx, *schema, files); err != nil {
			return fmt.Errorf("%w; nothing written", err)
		}
	}
	if *issuer != "" {
		if err := AgreesFiles(files, "the files rendered for "+*env, *issuer, *client); err != nil {
			return fmt.Errorf("%w\nnothing written", err)
		}
	}
	if err := writeDir(dir, files); err != nil {
		return err
	}

	// B2C needs a policy's base uploaded before it.
	docs, err := parseAll(files)
	if err != nil {
		return err
	}
	order := make([]string, len(docs))
	for i, d := range docs {
		order[i] = d.name
	}
	fmt.Fprintf(stdout, "rendered %d policy files for %s into %s\nupload them in this order: %s\n",
		len(files), *env, dir, strings.Join(order, ", "))
	fmt.Fprintf(stdout, "register these redirect URIs in the bridge client's redirect_uris (BRIDGE_CLIENTS):\n")
	for _, uri := range RedirectURIs(environment) {
		fmt.Fprintf(stdout, "  %s\n", uri)
	}
	return nil
}

// outDir is where rendered files go: out, or SRC/build/ENV.
func outDir(src, env, out string) string {
	if out != "" {
		return out
	}
	return filepath.Join(src, "build", env)
}

// renderChecked renders the templates in src for environment env, in memory, and runs every
// check B2C's upload would; the problems go to stderr and the error names cmd. Nothing is
// written: a refused render never leaves files that look ready to upload.
func renderChecked(src, env, dir, cmd string, stderr io.Writer) (Environment, map[string][]byte, error) {
	environment, err := loadEnvironment(src, env)
	if err != nil {
		return Environment{}, nil, err
	}
	if same, err := sameDir(src, dir); err != nil {
		return Environment{}, nil, err
	} else if same {
		return Environment{}, nil, fmt.Errorf("policy: refusing to render %s into itself: the templates would be lost", src)
	}
	templates, err := ReadDir(src)
	if err != nil {
		return Environment{}, nil, err
	}
	files, err := RenderFiles(templates, environment)
	if err != nil {
		return Environment{}, nil, err
	}
	if problems := Check(files, StarterPack()); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, p)
		}
		return Environment{}, nil, fmt.Errorf("%s: %d problem(s) in the files rendered for %s; nothing written, nothing uploaded", cmd, len(problems), env)
	}
	return environment, files, nil
}

// validateInMemory writes the files to a temporary folder, validates them there and removes it.
func validateInMemory(ctx context.Context, schema string, files map[string][]byte) error {
	if _, err := os.Stat(schema); err != nil {
		return fmt.Errorf("%w: %s (-schema takes the path of Microsoft's TrustFrameworkPolicy_0.3.0.0.xsd, which this repository does not ship): %w", ErrNoSchema, schema, err)
	}
	tmp, err := os.MkdirTemp("", "policy-render-")
	if err != nil {
		return fmt.Errorf("policy: temporary folder for schema validation: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := writeDir(tmp, files); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, filepath.Join(tmp, name))
	}
	slices.Sort(names)
	return Validate(ctx, schema, names...)
}
