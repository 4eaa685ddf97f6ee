package apiconnector

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"idmebridge/internal/verification"
)

// TestLatency measures the endpoint from outside (loopback HTTP) with records in memory: 200
// users, each with a record of this client behind a newer one of another client. B2C waits 20
// seconds; the default budget is 3.
func TestLatency(t *testing.T) {
	const n = 200
	cfg := loadTestConfig(t, nil)
	mem := verification.NewMemory()
	reader := verification.NewReader(mem.List, mem.Get)
	subjects := make([]string, n)
	for i := range subjects {
		subjects[i] = fmt.Sprintf("idme%028d", i)
		for _, r := range []verification.Record{
			{IDmeUUID: subjects[i], ClientID: clientA, VerifiedAt: t0, Groups: []string{"military"}, Subgroups: []string{"Veteran"}},
			{IDmeUUID: subjects[i], ClientID: clientB, VerifiedAt: t0.Add(time.Hour), Groups: []string{"student"}},
		} {
			putRecord(t, mem, r)
		}
	}
	c, _ := newConnector(t, cfg, reader, nil)
	srv := httptest.NewServer(c)
	defer srv.Close()
	durations := make([]time.Duration, 0, n)
	for _, s := range subjects {
		body := strings.Replace(userWith(idmeIdentity(bridgeIssuer)), subject, s, 1)
		req, _ := http.NewRequest(http.MethodPost, srv.URL+Path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth(clientA, passA)
		start := time.Now()
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		durations = append(durations, time.Since(start))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	slices.Sort(durations)
	p50, p99 := durations[n/2], durations[n*99/100]
	t.Logf("B2C API connector over loopback HTTP, records in memory, %d calls: p50 %v, p99 %v, max %v", n, p50, p99, durations[n-1])
	if p99 > cfg.APIConnector.Budget/2 {
		t.Errorf("p99 %v: too close to the budget", p99)
	}
}
