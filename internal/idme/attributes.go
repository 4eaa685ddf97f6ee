package idme

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Attribute is one entry of attributes.json's "attributes" array.
type Attribute struct {
	Handle string
	Name   string
	Value  string
	Null   bool // ID.me sent "value": null
}

// Status is one entry of attributes.json's "status" array: a community and whether the user
// was verified as a member.
type Status struct {
	Group     string
	Subgroups []string
	Verified  bool
}

// Attributes is the whole attributes.json answer.
type Attributes struct {
	Attributes []Attribute
	Status     []Status
}

// maxAttributesBytes bounds what the bridge reads from ID.me.
const maxAttributesBytes = 1 << 20

// Attributes makes the one data call an ID.me access token allows. It is never retried.
func (c *Client) Attributes(ctx context.Context, accessToken string) (*Attributes, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.opts.Environment.BaseURL+"/api/public/v3/attributes.json", nil)
	if err != nil {
		return nil, fmt.Errorf("attributes request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := c.once.Do(req)
	if err != nil {
		return nil, fmt.Errorf("attributes: %w: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAttributesBytes))
	if err != nil {
		return nil, fmt.Errorf("attributes: %w: %w", ErrUnavailable, err)
	}
	if resp.StatusCode != http.StatusOK {
		var oe struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if resp.StatusCode < 500 && json.Unmarshal(body, &oe) == nil && oe.Error != "" {
			return nil, fmt.Errorf("attributes: %w", &Error{Code: oe.Error, Description: oe.Description, Status: resp.StatusCode})
		}
		return nil, fmt.Errorf("attributes: %w", &StatusError{Status: resp.StatusCode})
	}
	a, err := ParseAttributes(body)
	if err != nil {
		return nil, fmt.Errorf("attributes: %w: %w", &StatusError{Status: resp.StatusCode}, err)
	}
	return a, nil
}

// ParseAttributes reads attributes.json leniently: null values, null or missing subgroups, and
// "verified" as a boolean or a string are all accepted, since ID.me sends each of them.
func ParseAttributes(body []byte) (*Attributes, error) {
	var doc struct {
		Attributes []struct {
			Handle string          `json:"handle"`
			Name   string          `json:"name"`
			Value  json.RawMessage `json:"value"`
		} `json:"attributes"`
		Status []struct {
			Group     string          `json:"group"`
			Subgroups []string        `json:"subgroups"`
			Verified  json.RawMessage `json:"verified"`
		} `json:"status"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("parse attributes.json: %w", err)
	}
	out := &Attributes{}
	for _, a := range doc.Attributes {
		if a.Handle == "" {
			continue
		}
		v, isNull, err := scalarString(a.Value)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", a.Handle, err)
		}
		out.Attributes = append(out.Attributes, Attribute{Handle: a.Handle, Name: a.Name, Value: v, Null: isNull})
	}
	for _, s := range doc.Status {
		if s.Group == "" {
			continue
		}
		out.Status = append(out.Status, Status{Group: s.Group, Subgroups: s.Subgroups, Verified: truthy(s.Verified)})
	}
	return out, nil
}

// scalarString renders a JSON scalar as text; null is reported as such.
func scalarString(raw json.RawMessage) (string, bool, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", true, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, false, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String(), false, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return strconv.FormatBool(b), false, nil
	}
	return "", false, errors.New("value is not a string, number or boolean")
}

// truthy is true only for JSON true or the string "true" (any case): anything else, including
// absence, is not a verification.
func truthy(raw json.RawMessage) bool {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.EqualFold(strings.TrimSpace(s), "true")
	}
	return false
}
