// Package infra_test checks what can be checked of the Bicep templates without the Bicep
// compiler: that they set exactly the settings the bridge reads, hold no secret values, and
// that modules, parameters and outputs fit together.
package infra_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// bicepFile is one template's text with comments and string contents blanked out where
// structure is read, so braces inside either cannot mislead the block parser.
type bicepFile struct {
	path string
	text string // as written
	code string // same length; comments and string contents replaced by spaces
}

func readBicep(t *testing.T, path string) bicepFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bicepFile{path: path, text: string(data), code: blankCommentsAndStrings(string(data))}
}

// blankCommentsAndStrings keeps the layout but hides // and /* */ comments and the contents of
// quoted strings (Bicep's only quote is the apostrophe, escaped with a backslash).
func blankCommentsAndStrings(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == '/' && i+1 < len(b) && b[i+1] == '/':
			for ; i < len(b) && b[i] != '\n'; i++ {
				b[i] = ' '
			}
		case b[i] == '/' && i+1 < len(b) && b[i+1] == '*':
			for ; i+1 < len(b) && !(b[i] == '*' && b[i+1] == '/'); i++ {
				if b[i] != '\n' {
					b[i] = ' '
				}
			}
			if i+1 < len(b) {
				b[i], b[i+1] = ' ', ' '
				i++
			}
		case b[i] == '\'':
			for i++; i < len(b) && b[i] != '\''; i++ {
				if b[i] == '\\' && i+1 < len(b) {
					b[i] = ' '
					i++
				}
				if b[i] != '\n' {
					b[i] = ' '
				}
			}
		}
	}
	return string(b)
}

// block returns the text between the '{' at open and its matching '}'.
func (f bicepFile) block(t *testing.T, open int) (inner string, innerCode string) {
	t.Helper()
	depth := 0
	for i := open; i < len(f.code); i++ {
		switch f.code[i] {
		case '{', '[', '(':
			depth++
		case '}', ']', ')':
			depth--
			if depth == 0 {
				return f.text[open+1 : i], f.code[open+1 : i]
			}
		}
	}
	t.Fatalf("%s: unbalanced braces after offset %d", f.path, open)
	return "", ""
}

var keyLine = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*?)\s*$`)

// objectKeys returns the top-level keys of an object literal's inside, with each value's text.
func objectKeys(inner, innerCode string) map[string]string {
	keys := map[string]string{}
	depth := 0
	lines, codeLines := strings.Split(inner, "\n"), strings.Split(innerCode, "\n")
	for i, code := range codeLines {
		if depth == 0 {
			if m := keyLine.FindStringSubmatch(code); m != nil {
				keys[m[1]] = valueText(lines[i], code)
			}
		}
		depth += strings.Count(code, "{") + strings.Count(code, "[") + strings.Count(code, "(") -
			strings.Count(code, "}") - strings.Count(code, "]") - strings.Count(code, ")")
	}
	return keys
}

// valueText is what follows a key's colon on its line, without a trailing comment: a "//" that
// the blanked code hides (a comment, not a URL inside a string).
func valueText(line, code string) string {
	start := strings.Index(code, ":") + 1
	end := len(line)
	for j := start; j+1 < len(line); j++ {
		if line[j] == '/' && line[j+1] == '/' && code[j] == ' ' && !insideString(line, j) {
			end = j
			break
		}
	}
	return strings.TrimSpace(line[start:end])
}

// insideString reports whether offset j of line lies between quotes.
func insideString(line string, j int) bool {
	return strings.Count(line[:j], "'")%2 == 1
}

// varObject returns the keys of `var name = { ... }`.
func (f bicepFile) varObject(t *testing.T, name string) map[string]string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^var ` + regexp.QuoteMeta(name) + `\s*=\s*\{`)
	loc := re.FindStringIndex(f.code)
	if loc == nil {
		t.Fatalf("%s: no `var %s = {` object", f.path, name)
	}
	return objectKeys(f.block(t, loc[1]-1))
}

// param is one declared parameter.
type param struct {
	name       string
	hasDefault bool
}

var paramLine = regexp.MustCompile(`(?m)^param\s+([A-Za-z_][A-Za-z0-9_]*)\s+[A-Za-z]+(\s*=)?`)

func (f bicepFile) params() map[string]param {
	out := map[string]param{}
	for _, m := range paramLine.FindAllStringSubmatch(f.code, -1) {
		out[m[1]] = param{name: m[1], hasDefault: m[2] != ""}
	}
	return out
}

// module is one `module name 'path' = { ... params: { ... } }` in a template.
type module struct {
	name, path string
	params     map[string]string
}

var moduleLine = regexp.MustCompile(`(?m)^module\s+([A-Za-z_][A-Za-z0-9_]*)\s+'([^']+)'\s*=\s*\{`)
var paramsKey = regexp.MustCompile(`(?m)^\s*params\s*:\s*\{`)

func (f bicepFile) modules(t *testing.T) []module {
	t.Helper()
	var out []module
	// Paths are string contents, blanked in code: read them from the text at the same offsets.
	for _, loc := range moduleLine.FindAllStringSubmatchIndex(f.code, -1) {
		m := moduleLine.FindStringSubmatch(f.text[loc[0]:loc[1]])
		body, bodyCode := f.block(t, loc[1]-1)
		mod := module{name: m[1], path: m[2]}
		if p := paramsKey.FindStringIndex(bodyCode); p != nil {
			sub := bicepFile{path: f.path, text: body, code: bodyCode}
			mod.params = objectKeys(sub.block(t, p[1]-1))
		}
		out = append(out, mod)
	}
	return out
}

var outputLine = regexp.MustCompile(`(?m)^output\s+([A-Za-z_][A-Za-z0-9_]*)\s+[A-Za-z]+\s*=\s*(.+)$`)

func (f bicepFile) outputs() map[string]string {
	out := map[string]string{}
	for _, m := range outputLine.FindAllStringSubmatch(f.text, -1) {
		out[m[1]] = strings.TrimSpace(m[2])
	}
	return out
}

func infraPath(parts ...string) string {
	return filepath.Join(append([]string{"."}, parts...)...)
}

func TestBlankCommentsAndStrings(t *testing.T) {
	in := "a: '{x}' // {y}\nb: /* { */ 'it\\'s {' }"
	got := blankCommentsAndStrings(in)
	if len(got) != len(in) || strings.ContainsAny(got, "xy") || strings.Count(got, "{") != 0 || !strings.HasSuffix(got, "}") {
		t.Errorf("blanked %q to %q", in, got)
	}
}
