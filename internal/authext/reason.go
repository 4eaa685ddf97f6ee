package authext

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// failure says what went wrong in err for the log, leaving out request URLs: a Graph URL holds
// the user's id and a record's blob URL the user's ID.me uuid.
func failure(err error) string {
	if re, ok := errors.AsType[*azcore.ResponseError](err); ok {
		return fmt.Sprintf("HTTP %d %s", re.StatusCode, re.ErrorCode)
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err.Error()
	}
	return err.Error()
}
