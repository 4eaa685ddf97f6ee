package policy

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// ErrMissingSettings is wrapped when a template uses a {Settings:Name} token that the chosen
// environment gives no value.
var ErrMissingSettings = errors.New("policy: settings without a value")

// Render reads srcDir's appsettings.json and policy templates (*.xml), substitutes every
// {Settings:Name} token with env's value and writes the results under the same names into
// outDir. Nothing is written unless every token has a value.
func Render(srcDir, env, outDir string) error {
	settings, err := LoadSettings(filepath.Join(srcDir, SettingsFile))
	if err != nil {
		return err
	}
	environment, err := settings.Environment(env)
	if err != nil {
		return err
	}
	if same, err := sameDir(srcDir, outDir); err != nil {
		return err
	} else if same {
		return fmt.Errorf("policy: refusing to render %s into itself: the templates would be lost", srcDir)
	}
	files, err := ReadDir(srcDir)
	if err != nil {
		return err
	}
	rendered, err := RenderFiles(files, environment)
	if err != nil {
		return err
	}
	return writeDir(outDir, rendered)
}

// RenderFiles substitutes env's values into every file. Values are XML-escaped: a value with
// '&' or '<' must not change the document's structure. It fails, naming each token and the
// files that use it, when any token has no value.
func RenderFiles(files map[string][]byte, env Environment) (map[string][]byte, error) {
	if err := env.checkValues(); err != nil {
		return nil, err
	}
	files, err := ExpandCommunities(files, env.PolicySettings[CommunitiesSetting])
	if err != nil {
		return nil, err
	}
	personalData, err := env.personalDataIncluded()
	if err != nil {
		return nil, err
	}
	files = expandPersonalData(files, personalData)
	// The name part accepts anything but braces, so a malformed token is reported rather than
	// left in the output.
	settingToken := regexp.MustCompile(`\{Settings:([^{}]*)\}`)
	missing := make(map[string][]string) // token -> files
	out := make(map[string][]byte, len(files))
	for name, data := range files {
		out[name] = settingToken.ReplaceAllFunc(data, func(token []byte) []byte {
			key := string(settingToken.FindSubmatch(token)[1])
			v, ok := env.value(key)
			if !ok {
				if !slices.Contains(missing[string(token)], name) {
					missing[string(token)] = append(missing[string(token)], name)
				}
				return token
			}
			if key == BridgeURLSetting {
				v = NormalizeIssuer(v)
			}
			var b bytes.Buffer
			_ = xml.EscapeText(&b, []byte(v)) // writes to a bytes.Buffer cannot fail
			return b.Bytes()
		})
	}
	if len(missing) > 0 {
		tokens := make([]string, 0, len(missing))
		for token, in := range missing {
			slices.Sort(in)
			tokens = append(tokens, fmt.Sprintf("%s (in %s)", token, strings.Join(in, ", ")))
		}
		slices.Sort(tokens)
		return nil, fmt.Errorf("%w: environment %q has no value for %s", ErrMissingSettings, env.Name, strings.Join(tokens, "; "))
	}
	return out, nil
}

// ReadDir returns the policy files (*.xml) directly in dir, by file name.
func ReadDir(dir string) (map[string][]byte, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil {
		return nil, fmt.Errorf("policy: list %s: %w", dir, err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("policy: no policy files (*.xml) in %s", dir)
	}
	files := make(map[string][]byte, len(paths))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("policy: read policy file: %w", err)
		}
		files[filepath.Base(p)] = data
	}
	return files, nil
}

func writeDir(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("policy: create output folder: %w", err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("policy: write rendered policy: %w", err)
		}
	}
	return nil
}

func sameDir(a, b string) (bool, error) {
	absA, err := filepath.Abs(a)
	if err != nil {
		return false, fmt.Errorf("policy: %w", err)
	}
	absB, err := filepath.Abs(b)
	if err != nil {
		return false, fmt.Errorf("policy: %w", err)
	}
	return absA == absB, nil
}
