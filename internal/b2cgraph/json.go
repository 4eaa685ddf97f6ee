package b2cgraph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// BaseURL is the Graph endpoint this client calls, version included
// (https://graph.microsoft.com/beta).
func (c *Client) BaseURL() string { return c.baseURL }

// JSON sends one JSON request to path, below the client's base URL, or to an absolute URL that
// starts with it (an @odata.nextLink). in, when not nil, is the request body; the answer is
// decoded into out when out is not nil. permission names the Graph permission the call needs:
// a 403 names it, so the operator knows which one to grant. It returns the status of a
// successful answer; any other answer is an *Error.
func (c *Client) JSON(ctx context.Context, op, permission, method, path string, in, out any) (int, error) {
	if strings.Contains(path, "://") {
		rest, ok := strings.CutPrefix(path, c.baseURL+"/")
		if !ok {
			return 0, fmt.Errorf("graph: %s: refusing to follow %q, which is not below %s", op, path, c.baseURL)
		}
		path = "/" + rest
	}
	if !strings.HasPrefix(path, "/") {
		return 0, fmt.Errorf("graph: %s: path %q must start with /", op, path)
	}
	var body []byte
	contentType := ""
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return 0, fmt.Errorf("graph: %s: %w", op, err)
		}
		contentType = "application/json"
	}
	status, err := c.call(ctx, op, method, path, contentType, body, out)
	var gerr *Error
	if errors.As(err, &gerr) {
		gerr.Permission = permission
	}
	return status, err
}
