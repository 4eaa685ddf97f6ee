package app

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestLoggerSplitsByLevel(t *testing.T) {
	var out, errs bytes.Buffer
	log := NewLogger(&out, &errs, slog.LevelDebug).With("component", "bridge")
	log.Debug("d")
	log.Info("i")
	log.Warn("w")
	log.Error("e")
	lines := func(b *bytes.Buffer) (msgs []string) {
		for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(l), &rec); err != nil {
				t.Fatalf("not a JSON line: %q", l)
			}
			if rec["component"] != "bridge" {
				t.Errorf("attributes lost: %v", rec)
			}
			msgs = append(msgs, rec["msg"].(string))
		}
		return msgs
	}
	if got := strings.Join(lines(&out), ","); got != "d,i" {
		t.Errorf("stdout has %s, want d,i", got)
	}
	if got := strings.Join(lines(&errs), ","); got != "w,e" {
		t.Errorf("stderr has %s, want w,e", got)
	}
	// The host files stderr lines by the words in them.
	if !strings.Contains(errs.String(), `"level":"WARN"`) || !strings.Contains(errs.String(), `"level":"ERROR"`) {
		t.Errorf("stderr lines lack the level words: %s", errs.String())
	}
	var quiet bytes.Buffer
	NewLogger(&quiet, &quiet, slog.LevelWarn).Info("hidden")
	if quiet.Len() != 0 {
		t.Errorf("info logged at warn level: %s", quiet.String())
	}
}
