package demorp

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"time"
)

// callAnswer is what a tenant's call to the bridge got back.
type callAnswer struct {
	status  int
	raw     []byte
	elapsed time.Duration
}

// postJSON posts body to target as a tenant calls the bridge's extension or connector, with
// authorization as the Authorization header, and reads the answer (bounded).
func postJSON(ctx context.Context, client *http.Client, target, authorization string, body []byte) (callAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return callAnswer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", authorization)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return callAnswer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if err != nil {
		return callAnswer{}, err
	}
	return callAnswer{status: resp.StatusCode, raw: raw, elapsed: time.Since(start)}, nil
}
