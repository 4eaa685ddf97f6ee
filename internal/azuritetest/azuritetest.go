// Package azuritetest starts a private Azurite blob emulator for one test, so storage code is
// exercised against the real protocol rather than a hand-written fake.
package azuritetest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Key is the well-known key of Azurite's devstoreaccount1; it is public and guards nothing.
const Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

const (
	installHint  = "run: make tools (or: npm ci --prefix .ci)"
	startTimeout = 20 * time.Second
	stopTimeout  = 5 * time.Second
	// startAttempts covers another process taking the free port before Azurite binds it.
	startAttempts = 3
)

// Start runs Azurite's blob service on a free loopback port for the rest of the test and
// returns a connection string for it. Without the binary the test is skipped, or fails
// when the CI environment variable is set.
func Start(t testing.TB) (connString string) {
	t.Helper()
	bin := binary(t)
	dir := t.TempDir()
	for attempt := range startAttempts {
		port, err := freePort()
		if err != nil {
			t.Fatalf("azurite: %v", err)
		}
		err = run(t, bin, filepath.Join(dir, strconv.Itoa(attempt)), port)
		if err == nil {
			return ConnString(port)
		}
		t.Logf("azurite: attempt %d: %v", attempt+1, err)
	}
	t.Fatalf("azurite: did not start after %d attempts", startAttempts)
	return ""
}

// ConnString is the connection string for devstoreaccount1 served on a loopback port.
func ConnString(port int) string {
	return fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=%s;"+
		"BlobEndpoint=http://127.0.0.1:%d/devstoreaccount1;", Key, port)
}

func binary(t testing.TB) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatalf("azurite: %v", err)
	}
	bin := filepath.Join(root, ".ci", "node_modules", ".bin", binaryName)
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("azurite is required in CI but %s is missing; %s", bin, installHint)
		}
		t.Skip(installHint)
	}
	return bin
}

// repoRoot walks up from the working directory (the package under test) to go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// run starts Azurite in dir and waits until it accepts connections. Once started, the
// process is stopped at cleanup whatever happens next.
func run(t testing.TB, bin, dir string, port int) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	logPath := filepath.Join(dir, "azurite.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	// Azurite refuses --location together with --inMemoryPersistence; its workspace defaults
	// to the working directory, so that is the test's own temporary directory.
	cmd := exec.Command(bin,
		"--blobHost", "127.0.0.1", "--blobPort", strconv.Itoa(port),
		"--silent", "--skipApiVersionCheck", "--inMemoryPersistence", "--disableTelemetry")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	ownProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(exited)
	}()
	t.Cleanup(func() {
		killProcessGroup(cmd)
		select {
		case <-exited:
		case <-time.After(stopTimeout):
			t.Errorf("azurite (pid %d) did not exit", cmd.Process.Pid)
		}
	})

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			out, _ := os.ReadFile(logPath)
			return fmt.Errorf("exited early: %s", out)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	out, _ := os.ReadFile(logPath)
	t.Fatalf("azurite: no answer on %s within %s: %s", addr, startTimeout, out)
	return nil
}
