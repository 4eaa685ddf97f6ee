package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestServeUnderHostContract starts the handler as the Functions host does (port in
// FUNCTIONS_CUSTOMHANDLER_PORT, settings in the environment), waits for discovery to answer,
// then stops it as the host does on scale-in, and expects a clean exit.
func TestServeUnderHostContract(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	for k, v := range map[string]string{
		"FUNCTIONS_CUSTOMHANDLER_PORT": strconv.Itoa(port),
		"BRIDGE_ISSUER":                "http://127.0.0.1:" + strconv.Itoa(port),
		"IDME_CLIENT_ID":               "idme-app",
		"IDME_CLIENT_SECRET":           "s",
		"BRIDGE_CLIENTS":               `[{"client_id":"b2c","secret_name":"b2c-secret","redirect_uris":["https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/authresp"],"idme_scopes":["military"]}]`,
		"B2C_SECRET":                   "t",
		"BRIDGE_ALLOW_EPHEMERAL_KEYS":  "true",
	} {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, &bytes.Buffer{}, &stderr) }()

	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/.well-known/openid-configuration"
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("discovery answered %d", resp.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not listening after 10s: %v\n%s", err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
	case <-time.After(25 * time.Second):
		t.Fatal("did not stop after cancellation")
	}
	if !bytes.Contains(stderr.Bytes(), []byte(`"msg":"bridge listening"`)) {
		t.Errorf("no JSON log line on stderr: %s", stderr.String())
	}
}
