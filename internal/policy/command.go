package policy

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

const usage = `usage: handler policy render [flags]
       handler policy deploy -env NAME   (render, then upload through Microsoft Graph)
       handler policy key -env NAME      (store the client secret as a B2C policy key)

Renders the B2C policy templates for one environment of appsettings.json and checks the result:
every reference resolves (in the files or in the starter pack they extend) and every metadata
key is one its technical profile understands.

`

// Run executes the policy command: "render" is its only subcommand.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "deploy" {
		return runDeploy(ctx, args[1:], stdout, stderr, connectGraph)
	}
	if len(args) > 0 && args[0] == "key" {
		return runKey(ctx, args[1:], os.Stdin, stdout, stderr, connectGraph)
	}
	if len(args) == 0 || args[0] != "render" {
		fmt.Fprint(stderr, usage)
		return errors.New("policy: the render subcommand is required")
	}
	fs := flag.NewFlagSet("policy render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	src := fs.String("src", "policies", "folder with appsettings.json and the policy templates")
	env := fs.String("env", "Development", "environment (Name) in appsettings.json")
	out := fs.String("out", "", "where to write the rendered files (default SRC/build/ENV)")
	schema := fs.String("schema", "", "also validate each rendered file against this TrustFrameworkPolicy .xsd with xmllint")
	issuer := fs.String("issuer", "", "also check the OpenIdConnect profile points at this bridge (its BRIDGE_ISSUER)")
	client := fs.String("client", "", "with -issuer: the client_id of the tenant's BRIDGE_CLIENTS entry")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if (*issuer == "") != (*client == "") {
		return errors.New("policy render: -issuer and -client go together")
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join(*src, "build", *env)
	}

	if err := Render(*src, *env, dir); err != nil {
		return err
	}
	files, err := ReadDir(dir)
	if err != nil {
		return err
	}
	if problems := Check(files, StarterPack()); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, p)
		}
		return fmt.Errorf("policy render: %d problem(s) in the rendered files in %s", len(problems), dir)
	}
	if *schema != "" {
		names := make([]string, 0, len(files))
		for name := range files {
			names = append(names, filepath.Join(dir, name))
		}
		slices.Sort(names)
		if err := Validate(ctx, *schema, names...); err != nil {
			return err
		}
	}
	if *issuer != "" {
		if err := Agrees(dir, *issuer, *client); err != nil {
			return err
		}
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
	return nil
}
