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

// checkID refuses an id that would change the request path.
func checkID(id string) error {
	if strings.TrimSpace(id) == "" || strings.ContainsAny(id, "/?#%\\ ") {
		return errors.New("graph: a policy or key set id must be a plain name such as B2C_1A_Name")
	}
	return nil
}
