package loadtest

import (
	"bufio"
	"encoding/json"
	"io"
	"sync"
	"time"

	"idmebridge/internal/outcome"
)

// StageEvents collects the stage durations of the bridge's outcome events (one JSON line per
// sign-in stage on its stdout), to split the callback and token steps further than the driver
// can see. The bridge logs whole milliseconds, so these figures are coarser than the driver's.
type StageEvents struct {
	mu     sync.Mutex
	stages map[string][]time.Duration
}

// stageFields are the duration fields read, per event, with the outcome that counts (a
// failed stage would mix another path's durations in).
var stageFields = map[string]struct {
	ok     string
	fields []string
}{
	outcome.SignIn: {outcome.Verified, []string{outcome.FieldStateMs, outcome.FieldIDmeTokenMs, outcome.FieldAttributesMs, outcome.FieldDuration}},
	outcome.Token:  {outcome.Issued, []string{outcome.FieldCodeBurnMs, outcome.FieldSigningMs, outcome.FieldDuration}},
}

// StageName is the report's name of an event's duration field.
func StageName(event, field string) string { return event + "." + field }

// ReadStageEvents reads log lines from r until it ends, keeping the stage durations of
// successful sign-ins. Other lines are skipped.
func ReadStageEvents(r io.Reader) *StageEvents {
	e := &StageEvents{stages: map[string][]time.Duration{}}
	go e.read(r)
	return e
}

func (e *StageEvents) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) != nil || line["msg"] != outcome.Message {
			continue
		}
		event, _ := line[outcome.FieldEvent].(string)
		want, ok := stageFields[event]
		if !ok || line[outcome.FieldOutcome] != want.ok {
			continue
		}
		e.mu.Lock()
		for _, f := range want.fields {
			if ms, ok := line[f].(float64); ok {
				e.stages[StageName(event, f)] = append(e.stages[StageName(event, f)], time.Duration(ms)*time.Millisecond)
			}
		}
		e.mu.Unlock()
	}
	_, _ = io.Copy(io.Discard, r) // a line too long ends the scan; keep the writer unblocked
}

// Stages is a copy of what has been collected so far.
func (e *StageEvents) Stages() map[string][]time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string][]time.Duration, len(e.stages))
	for k, v := range e.stages {
		out[k] = append([]time.Duration(nil), v...)
	}
	return out
}

// stageInjected is the delay injected into one logged stage.
func stageInjected(name string, i Injection) time.Duration {
	switch name {
	case StageName(outcome.SignIn, outcome.FieldStateMs), StageName(outcome.Token, outcome.FieldCodeBurnMs):
		if i.StorageTrips > 0 {
			return i.StorageRTT
		}
	case StageName(outcome.SignIn, outcome.FieldIDmeTokenMs), StageName(outcome.SignIn, outcome.FieldAttributesMs):
		return i.IDmeRTT
	case StageName(outcome.SignIn, outcome.FieldDuration):
		return i.PerStep()[StepCallback]
	case StageName(outcome.Token, outcome.FieldDuration):
		return i.PerStep()[StepToken]
	}
	return 0
}

// stageOrder is the order stages are reported in.
var stageOrder = []string{
	StageName(outcome.SignIn, outcome.FieldStateMs), StageName(outcome.SignIn, outcome.FieldIDmeTokenMs),
	StageName(outcome.SignIn, outcome.FieldAttributesMs), StageName(outcome.SignIn, outcome.FieldDuration),
	StageName(outcome.Token, outcome.FieldCodeBurnMs), StageName(outcome.Token, outcome.FieldSigningMs),
	StageName(outcome.Token, outcome.FieldDuration),
}
