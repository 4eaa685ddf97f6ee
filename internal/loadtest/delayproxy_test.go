package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"idmebridge/internal/app"
	"idmebridge/internal/azuritetest"
	"idmebridge/internal/store"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
)

// TestDelayProxy holds the proxy to a round trip per exchange: each request over a kept-alive
// connection takes at least the round trip and not much more, and the upstream's own answer
// time is seen apart from it.
func TestDelayProxy(t *testing.T) {
	const serverTime = 5 * time.Millisecond
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(serverTime)
		_, _ = io.WriteString(w, strings.Repeat("x", 100<<10)) // larger than one read
	}))
	defer upstream.Close()
	for _, rtt := range []time.Duration{0, 10 * time.Millisecond, 30 * time.Millisecond} {
		t.Run(rtt.String(), func(t *testing.T) {
			p, err := StartDelayProxy("127.0.0.1:0", strings.TrimPrefix(upstream.URL, "http://"), rtt)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			client := &http.Client{Transport: &http.Transport{}, Timeout: 5 * time.Second}
			get := func() time.Duration {
				start := time.Now()
				resp, err := client.Get("http://" + p.Addr() + "/")
				if err != nil {
					t.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if n != 100<<10 {
					t.Fatalf("%d bytes through the proxy", n)
				}
				return time.Since(start)
			}
			get() // the connection
			const n = 5
			var fastest time.Duration
			for i := range n {
				if d := get(); i == 0 || d < fastest {
					fastest = d
				}
			}
			// A kept-alive exchange is one round trip plus the server's time; the slack is for
			// a busy machine.
			if min := rtt + serverTime; fastest < min || fastest > min+40*time.Millisecond {
				t.Errorf("fastest exchange %s, want about %s", fastest, min)
			}
			answer, count := p.AnswerTime()
			if count < n || answer < serverTime || answer > serverTime+20*time.Millisecond {
				t.Errorf("answer time %s over %d exchanges, want about %s over at least %d", answer, count, serverTime, n)
			}
		})
	}
	for _, c := range []struct{ listen, upstream string }{
		{"0.0.0.0:0", "127.0.0.1:1"}, {"127.0.0.1:0", "192.0.2.1:80"}, {"127.0.0.1:0", "example.com:80"},
	} {
		if p, err := StartDelayProxy(c.listen, c.upstream, time.Millisecond); err == nil {
			p.Close()
			t.Errorf("%s -> %s accepted", c.listen, c.upstream)
		}
	}
}

// TestLatencyShape is the CI version of the latency run: a short run at a low rate with
// delays in front of ID.me and Storage (Azurite), whose report must show the injected round
// trips, the bridge's share beyond them, and the stages from the bridge's own events.
func TestLatencyShape(t *testing.T) {
	const idmeRTT, storageRTT = 20 * time.Millisecond, 4 * time.Millisecond
	conn := azuritetest.Start(t)
	upstream := conn[strings.Index(conn, "BlobEndpoint=")+len("BlobEndpoint="):]
	upstream = strings.TrimSuffix(strings.TrimSuffix(upstream, ";"), "/devstoreaccount1")
	storage, err := StartDelayProxy("127.0.0.1:0", strings.TrimPrefix(upstream, "http://"), storageRTT)
	if err != nil {
		t.Fatal(err)
	}
	defer storage.Close()
	proxied := strings.Replace(conn, strings.TrimPrefix(upstream, "http://"), storage.Addr(), 1)

	logs, logWriter := io.Pipe()
	defer logWriter.Close()
	events := ReadStageEvents(logs)
	l := startLocal(t, LocalOptions{IDmeDelay: idmeRTT, Logger: app.NewLogger(logWriter, io.Discard, slog.LevelInfo),
		Settings: map[string]string{"BRIDGE_STORE": "blob", "AzureWebJobsStorage": proxied}})
	ctx := context.Background()
	d, err := NewDriver(ctx, l.Target, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	const n = 20
	injected := Injection{IDmeRTT: idmeRTT, StorageRTT: storageRTT, IDmeTrips: 2, StorageTrips: 2}
	res := Load(ctx, d, Options{Users: 4, Count: n, Duration: 30 * time.Second, Rate: 10,
		Injected: injected, Events: events, IDmeDelay: l.IDmeDelay, StorageDelay: storage})
	if res.Errors != 0 || res.SignIns != n {
		t.Fatalf("%d sign-ins, %d failed: %v", res.SignIns, res.Errors, res.Failures)
	}
	// At 10 a second, the 20th sign-in starts 1.9 s after the first.
	if res.Elapsed < 1900*time.Millisecond {
		t.Errorf("%d sign-ins in %s: the rate was not held", n, res.Elapsed)
	}
	const total = 2*idmeRTT + 2*storageRTT
	for s, want := range map[Step]time.Duration{StepAuthorize: 0, StepCallback: 2*idmeRTT + storageRTT, StepToken: storageRTT, StepIDme: idmeRTT} {
		if got := percentile(res.Steps[s], 1); got < want {
			t.Errorf("step %s: fastest %s, below the %s injected", s, got, want)
		}
	}
	if fastest := percentile(res.Bridge, 1); fastest < total {
		t.Errorf("bridge total: fastest %s, below the %s injected", fastest, total)
	}
	if res.AddedP99() < 0 || res.Injected.IDmeAnswer <= 0 || res.Injected.StorageAnswer <= 0 {
		t.Errorf("added p99 %s; answers ID.me %s, Storage %s", res.AddedP99(), res.Injected.IDmeAnswer, res.Injected.StorageAnswer)
	}
	// The events arrive through a pipe; give the last ones a moment.
	for deadline := time.Now().Add(2 * time.Second); len(events.Stages()[StageName("token", "duration_ms")]) < n && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	res.Stages = events.Stages()
	for _, name := range stageOrder {
		ds := res.Stages[name]
		if len(ds) < n {
			t.Errorf("stage %s: %d events, want %d", name, len(ds), n)
		} else if inj := stageInjected(name, injected); percentile(ds, 1) < inj {
			t.Errorf("stage %s: fastest %s, below the %s injected", name, percentile(ds, 1), inj)
		}
	}
	var out strings.Builder
	res.Write(&out, 0)
	for _, want := range []string{
		"started at 10 sign-ins/s",
		fmt.Sprintf("injected round trips per sign-in: ID.me 2 x %s, Storage 2 x %s = %s", idmeRTT, storageRTT, total),
		"bridge total", "added p99", "upstreams' own answer times", "signin.idme_token_ms", "token.code_burn_ms",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestFakeBlob holds the in-process Blob endpoint to what the bridge's store needs from Blob
// Storage, through the Azure SDK: a container created twice, a record created once and
// refused the second time.
func TestFakeBlob(t *testing.T) {
	f, err := StartFakeBlob("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	client, err := azblob.NewClientFromConnectionString(devStorageVia(strings.TrimPrefix(f.URL(), "http://")), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := store.NewBlob(client, "records", store.BlobOptions{})
	ctx := context.Background()
	for range 2 {
		if err := s.EnsureContainer(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Create(ctx, "code-1", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, "code-1", []byte("v"), time.Minute); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second create: %v, want ErrExists", err)
	}
	if err := s.Create(ctx, "code-2", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
}

// TestLocalDelayFlags holds "loadtest local" to delays it can inject: none below zero or
// absurdly long, and none into a store that makes no round trip.
func TestLocalDelayFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		why  string
	}{
		{[]string{"-storage-delay", "8ms"}, "-storage-delay needs -store blob"},
		{[]string{"-store", "memory", "-storage-delay", "8ms"}, "-storage-delay needs -store blob"},
		{[]string{"-idme-delay", "-1ms"}, "must be in [0, 5s]"},
		{[]string{"-idme-delay", "1h"}, "must be in [0, 5s]"},
		{[]string{"-store", "blob", "-storage-delay", "1h"}, "must be in [0, 5s]"},
		{[]string{"-rate", "-1"}, "-rate must be in"},
	} {
		// Refused before anything is started, with the reason.
		var out, errOut strings.Builder
		err := Run(context.Background(), append([]string{"local"}, c.args...), &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), c.why) {
			t.Errorf("%v: %v, want %q", c.args, err, c.why)
		}
	}
}
