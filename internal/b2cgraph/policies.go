package b2cgraph

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// UploadPolicy creates or replaces the custom policy id with the XML document (PUT
// trustFramework/policies/{id}/$value, Content-Type application/xml). created is true when
// the tenant had no policy of that id. B2C validates the document on upload and refuses it,
// with its reason in the error, when a reference does not resolve.
func (c *Client) UploadPolicy(ctx context.Context, id string, document []byte) (created bool, err error) {
	if err := checkID(id); err != nil {
		return false, err
	}
	status, err := c.call(ctx, "upload policy "+id, http.MethodPut,
		"/trustFramework/policies/"+url.PathEscape(id)+"/$value", "application/xml", document, nil)
	if err != nil {
		return false, err
	}
	return status == http.StatusCreated, nil
}

// maxPolicy bounds a downloaded policy file: far above the bridge's files (tens of kilobytes)
// and the starter pack's largest, so only a wrong answer reaches it.
const maxPolicy = 8 << 20

// GetPolicy downloads the tenant's copy of the custom policy id (GET
// trustFramework/policies/{id}/$value, answered as application/xml: Microsoft Graph beta, "Get
// trustFrameworkPolicy", learn.microsoft.com/graph/api/trustframeworkpolicy-get).
// errors.Is(err, ErrNotFound) when the tenant has no policy of that id.
func (c *Client) GetPolicy(ctx context.Context, id string) ([]byte, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	_, data, err := c.do(ctx, "read policy "+id, http.MethodGet,
		"/trustFramework/policies/"+url.PathEscape(id)+"/$value", "application/xml", "", nil, maxPolicy)
	return data, err
}

// checkID refuses an id that would change the request path.
func checkID(id string) error {
	if strings.TrimSpace(id) == "" || strings.ContainsAny(id, "/?#%\\ ") {
		return errors.New("graph: a policy or key set id must be a plain name such as B2C_1A_Name")
	}
	return nil
}
