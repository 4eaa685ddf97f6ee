package policy

import (
	"fmt"
	"strings"
)

// Upload is one rendered policy file as deploy uploads it.
type Upload struct {
	File     string // file name, e.g. SignUpOrSignInWithIdme.xml
	PolicyID string // the TrustFrameworkPolicy's PolicyId, e.g. B2C_1A_IdmeBridge_SignUpOrSignIn
	Data     []byte
}

// LoadEnvironment reads src's appsettings.json and returns the environment of that name.
func LoadEnvironment(src, name string) (Environment, error) {
	return loadEnvironment(src, name)
}

// RenderUploads renders src's templates for env in memory, runs the checks deploy runs, and
// returns the files in deploy's upload order (each base before the files extending it). Files
// that fail a check are refused: deploy would not upload them either.
func RenderUploads(src string, env Environment) ([]Upload, error) {
	templates, err := ReadDir(src)
	if err != nil {
		return nil, err
	}
	files, err := RenderFiles(templates, env)
	if err != nil {
		return nil, err
	}
	if problems := Check(files, StarterPack()); len(problems) > 0 {
		lines := make([]string, len(problems))
		for i, p := range problems {
			lines[i] = p.String()
		}
		return nil, fmt.Errorf("policy: %d problem(s) in the files rendered for %s: %s", len(problems), env.Name, strings.Join(lines, "; "))
	}
	docs, err := parseAll(files)
	if err != nil {
		return nil, err
	}
	uploads := make([]Upload, len(docs))
	for i, d := range docs {
		uploads[i] = Upload{File: d.name, PolicyID: d.doc.PolicyID, Data: d.data}
	}
	return uploads, nil
}
