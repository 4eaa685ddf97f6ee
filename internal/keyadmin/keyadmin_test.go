package keyadmin

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"idmebridge/internal/keys"
)

// TestRotationByCommand rotates a key set the way an operator would, through the command.
func TestRotationByCommand(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	run := func(args []string, in string, now time.Time) (string, error) {
		var out, errOut bytes.Buffer
		err := Run(args, strings.NewReader(in), &out, &errOut, now)
		return out.String(), err
	}
	set1, err := run([]string{"new"}, "", t0)
	if err != nil {
		t.Fatal(err)
	}
	s1, _ := keys.Parse([]byte(set1))
	oldKid := s1.Keys()[0].KeyID

	set2, err := run([]string{"add", "--lead", "48h"}, set1, t0)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := keys.Parse([]byte(set2))
	if len(s2.Keys()) != 2 || s2.SigningKeyID(t0, 0) != oldKid {
		t.Fatalf("after add: %+v, signer %s", s2.Keys(), s2.SigningKeyID(t0, 0))
	}
	newKid := s2.Keys()[1].KeyID
	table, _ := run([]string{"show"}, set2, t0)
	if !strings.Contains(table, newKid) || !strings.Contains(table, "waiting to sign") {
		t.Fatalf("show:\n%s", table)
	}
	if _, err := run([]string{"retire", "--kid", oldKid}, set2, t0); err == nil {
		t.Fatal("retired the key that signs now")
	}
	t1 := t0.Add(48 * time.Hour)
	set3, err := run([]string{"retire", "--kid", oldKid, "--after", "20m"}, set2, t1)
	if err != nil {
		t.Fatal(err)
	}
	set4, err := run([]string{"prune"}, set3, t1.Add(21*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	s4, _ := keys.Parse([]byte(set4))
	if len(s4.Keys()) != 1 || s4.Keys()[0].KeyID != newKid {
		t.Fatalf("after prune: %+v", s4.Keys())
	}
}

func TestRejects(t *testing.T) {
	for _, args := range [][]string{{}, {"bogus"}, {"retire"}, {"add", "--lead", "soon"}} {
		var out, errOut bytes.Buffer
		if err := Run(args, strings.NewReader(""), &out, &errOut, time.Now()); err == nil {
			t.Errorf("keys %v succeeded", args)
		}
	}
	var out, errOut bytes.Buffer
	if err := Run([]string{"show"}, strings.NewReader("{not json"), &out, &errOut, time.Now()); err == nil {
		t.Error("show accepted a broken set")
	}
}
