package outcome_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"slices"
	"testing"
	"time"

	"idmebridge/internal/outcome"
)

// TestLog: an event line is msg Message, the event first, then the attributes, at the level
// asked; nothing is written below the logger's level.
func TestLog(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	outcome.Log(t.Context(), l, outcome.Readiness, slog.String(outcome.FieldOutcome, outcome.Ready), slog.Bool(outcome.FieldReady, true))
	outcome.LogAt(t.Context(), l, slog.LevelError, outcome.Connector, outcome.Ms(outcome.FieldDuration, 1500*time.Microsecond))
	outcome.LogAt(t.Context(), l, slog.LevelDebug, outcome.Connector)
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2 (none at DEBUG):\n%s", len(lines), buf.String())
	}
	var first, second map[string]any
	if err := json.Unmarshal(lines[0], &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(lines[1], &second); err != nil {
		t.Fatal(err)
	}
	if first["msg"] != outcome.Message || first["level"] != "INFO" || first["event"] != outcome.Readiness || first["ready"] != true {
		t.Errorf("first line %v", first)
	}
	if !bytes.Contains(lines[0], []byte(`"msg":"outcome","event":"readiness","outcome":"ready"`)) {
		t.Errorf("the event does not come first: %s", lines[0])
	}
	if second["level"] != "ERROR" || second["duration_ms"] != 1.0 {
		t.Errorf("second line %v: want ERROR and whole milliseconds", second)
	}
}

// TestNames: Fields lists each field once and every field an event carries; every event has
// its closed list of outcomes, and outcome is a field of every event that has outcomes.
func TestNames(t *testing.T) {
	fields := outcome.Fields()
	for i, f := range fields {
		if slices.Contains(fields[i+1:], f) {
			t.Errorf("field %s listed twice", f)
		}
	}
	used := map[string]bool{outcome.FieldEvent: true}
	shape, outcomes := outcome.Shape(), outcome.Outcomes()
	for event, fs := range shape {
		if _, ok := outcomes[event]; !ok {
			t.Errorf("event %s has no outcome list", event)
		}
		for f, typ := range fs {
			used[f] = true
			if !slices.Contains(fields, f) {
				t.Errorf("event %s carries %s, which Fields does not list", event, f)
			}
			if typ != outcome.TypeString && typ != outcome.TypeNumber && typ != outcome.TypeBool {
				t.Errorf("event %s field %s: type %q", event, f, typ)
			}
		}
		if _, has := fs[outcome.FieldOutcome]; has != (len(outcomes[event]) > 0) {
			t.Errorf("event %s: carries outcome %v, has outcomes %v", event, has, outcomes[event])
		}
	}
	for _, f := range fields {
		if !used[f] {
			t.Errorf("field %s is carried by no event", f)
		}
	}
	for event := range outcomes {
		if _, ok := shape[event]; !ok {
			t.Errorf("outcomes of %s, an event with no shape", event)
		}
	}
}
