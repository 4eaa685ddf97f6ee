// Package outcometest reads the bridge's outcome events from a log, checks each against the
// documented shape, and reads the golden file of the events a real in-process sign-in run
// emits, which the tests of the workbook and alerts hold their queries to.
package outcometest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"

	"idmebridge/internal/outcome"
)

// Event is one decoded event line.
type Event map[string]any

// Parse returns the outcome events among the JSON log lines in log, in order. A line that is
// not JSON is an error: the bridge logs nothing else.
func Parse(log []byte) ([]Event, error) {
	var out []Event
	sc := bufio.NewScanner(bytes.NewReader(log))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			return nil, fmt.Errorf("log line %q: %w", line, err)
		}
		if m["msg"] == outcome.Message {
			out = append(out, m)
		}
	}
	return out, sc.Err()
}

// Check returns what is wrong with e: an unknown event, a field missing, of the wrong type or
// not documented for the event, an outcome outside the event's closed list.
func Check(e Event) []string {
	var problems []string
	name, _ := e[outcome.FieldEvent].(string)
	shape, ok := outcome.Shape()[name]
	if !ok {
		return []string{fmt.Sprintf("unknown event %q", name)}
	}
	for field, typ := range shape {
		v, present := e[field]
		if !present {
			problems = append(problems, fmt.Sprintf("%s: no field %s", name, field))
			continue
		}
		if got := jsonType(v); got != typ {
			problems = append(problems, fmt.Sprintf("%s: field %s is a %s, want a %s", name, field, got, typ))
		}
	}
	for field := range e {
		if _, ok := shape[field]; !ok && !envelope(field) {
			problems = append(problems, fmt.Sprintf("%s: field %s is not documented for the event", name, field))
		}
	}
	if list := outcome.Outcomes()[name]; len(list) > 0 {
		if o, _ := e[outcome.FieldOutcome].(string); !slices.Contains(list, o) {
			problems = append(problems, fmt.Sprintf("%s: outcome %q is not one of %v", name, o, list))
		}
	}
	return problems
}

// envelope reports the fields every line has besides the event's own: slog's time, level and
// msg, FieldEvent, and the component a package's logger names itself with.
func envelope(field string) bool {
	switch field {
	case "time", "level", "msg", outcome.FieldEvent, "component":
		return true
	}
	return false
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return outcome.TypeString
	case float64:
		return outcome.TypeNumber
	case bool:
		return outcome.TypeBool
	}
	return fmt.Sprintf("%T", v)
}

// Normalize is e as the golden file keeps it: without time and level, durations zero (they
// vary from run to run), everything else as emitted.
func Normalize(e Event) Event {
	out := Event{}
	for k, v := range e {
		switch {
		case k == "time" || k == "level":
		case k == outcome.FieldDuration || strings.HasSuffix(k, "_ms"):
			out[k] = 0.0
		default:
			out[k] = v
		}
	}
	return out
}

// Lines renders events as the golden file's lines: normalised, one JSON object a line (keys
// sorted), sorted and without repeats.
func Lines(events []Event) ([]byte, error) {
	set := map[string]bool{}
	for _, e := range events {
		b, err := json.Marshal(Normalize(e))
		if err != nil {
			return nil, err
		}
		set[string(b)] = true
	}
	lines := make([]string, 0, len(set))
	for l := range set {
		lines = append(lines, l)
	}
	sort.Strings(lines)
	return []byte(strings.Join(lines, "\n") + "\n"), nil
}

// GoldenPath is the golden file of events (internal/outcome/testdata/events.jsonl), found
// from this source file so that a test in any package can read it.
func GoldenPath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "events.jsonl")
}

// Golden reads the golden file: the events a real in-process run of the bridge emitted.
func Golden() ([]Event, error) {
	b, err := os.ReadFile(GoldenPath())
	if err != nil {
		return nil, fmt.Errorf("golden events: %w", err)
	}
	var out []Event
	for l := range strings.Lines(string(b)) {
		if strings.TrimSpace(l) == "" {
			continue
		}
		var e Event
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			return nil, fmt.Errorf("golden events: %q: %w", l, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// FieldsSeen is every field name the events carry, sorted, envelope included ("msg",
// "event"...): what a query may read.
func FieldsSeen(events []Event) []string {
	set := map[string]bool{}
	for _, e := range events {
		for k := range e {
			set[k] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// OutcomesSeen is, per event, the outcomes the events carry.
func OutcomesSeen(events []Event) map[string][]string {
	out := map[string][]string{}
	for _, e := range events {
		name, _ := e[outcome.FieldEvent].(string)
		o, _ := e[outcome.FieldOutcome].(string)
		if o != "" && !slices.Contains(out[name], o) {
			out[name] = append(out[name], o)
		}
	}
	for _, list := range out {
		sort.Strings(list)
	}
	return out
}
