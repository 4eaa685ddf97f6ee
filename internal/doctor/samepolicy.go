package doctor

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// policyItem is one piece of a policy file that B2C keeps, as a comparable string, with the line
// it starts on.
type policyItem struct {
	key  string
	line int
}

// samePolicy compares the rendered file with the tenant's copy as XML documents rather than as
// bytes, because B2C does not hand back the bytes it was given. Microsoft's examples of a
// downloaded policy (Graph beta "Get trustFrameworkPolicy", and Learn's "Manage Azure AD B2C
// custom policies with PowerShell", section "Download a policy") start at <TrustFrameworkPolicy
// without an XML declaration, carry the root's attributes on one line, are indented anew, and
// add TenantObjectId to the root element. So the comparison ignores the XML declaration and
// other processing instructions, comments, whitespace between elements and around text, line
// endings, attribute order, namespace prefixes, and a TenantObjectId on the tenant's root that
// the rendered root lacks. Everything else must be equal. same is false with the line of the
// first difference in each document (0 past the end).
func samePolicy(rendered, stored []byte) (same bool, renderedLine, storedLine int, err error) {
	want, err := policyItems(rendered, false)
	if err != nil {
		return false, 0, 0, fmt.Errorf("the rendered file: %w", err)
	}
	got, err := policyItems(stored, !hasRootAttr(want, "TenantObjectId"))
	if err != nil {
		return false, 0, 0, fmt.Errorf("the tenant's copy is not XML that can be read: %w", err)
	}
	for i := 0; i < len(want) || i < len(got); i++ {
		switch {
		case i >= len(want):
			return false, 0, got[i].line, nil
		case i >= len(got):
			return false, want[i].line, 0, nil
		case want[i].key != got[i].key:
			return false, want[i].line, got[i].line, nil
		}
	}
	return true, 0, 0, nil
}

// hasRootAttr reports whether the root element (the first item) has an attribute of that name.
func hasRootAttr(items []policyItem, name string) bool {
	return len(items) > 0 && strings.Contains(items[0].key, " "+name+"=")
}

// policyItems reads a document into its elements and text, normalised as samePolicy says.
// dropTenantObjectID drops that attribute from the root element.
func policyItems(data []byte, dropTenantObjectID bool) ([]policyItem, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var (
		items []policyItem
		text  strings.Builder // character data since the last element, comments skipped
		tline int             // the line where that text starts
		root  = true
	)
	lineAt := func(offset int64) int { return 1 + bytes.Count(data[:offset], []byte("\n")) }
	flush := func() {
		if t := strings.TrimSpace(text.String()); t != "" {
			items = append(items, policyItem{key: "text " + t, line: tline})
		}
		text.Reset()
	}
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if text.Len() == 0 && strings.TrimSpace(string(t)) != "" {
				lead := len(t) - len(bytes.TrimLeft(t, " \t\r\n"))
				tline = lineAt(start) + bytes.Count(t[:lead], []byte("\n"))
			}
			text.Write(t)
		case xml.StartElement:
			flush()
			items = append(items, policyItem{key: startKey(t, root && dropTenantObjectID), line: lineAt(start)})
			root = false
		case xml.EndElement:
			flush()
			items = append(items, policyItem{key: "end {" + t.Name.Space + "}" + t.Name.Local, line: lineAt(start)})
		}
		// Comments, the XML declaration and other processing instructions, and directives carry
		// nothing B2C runs.
	}
	if len(items) == 0 {
		return nil, errors.New("no element")
	}
	return items, nil
}

// startKey writes a start element with its attributes in a fixed order, without namespace
// declarations (the names they resolve are compared instead).
func startKey(e xml.StartElement, dropTenantObjectID bool) string {
	var attrs []string
	for _, a := range e.Attr {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue
		}
		if dropTenantObjectID && a.Name.Space == "" && a.Name.Local == "TenantObjectId" {
			continue
		}
		name := a.Name.Local
		if a.Name.Space != "" {
			name = "{" + a.Name.Space + "}" + name
		}
		attrs = append(attrs, name+"="+fmt.Sprintf("%q", a.Value))
	}
	slices.Sort(attrs)
	return "start {" + e.Name.Space + "}" + e.Name.Local + " " + strings.Join(attrs, " ") + " "
}
