package config

import (
	"slices"
	"testing"
)

// TestSettingsTableIsWhatLoadReads keeps SettingNames honest: Load asks for exactly the
// settings in the table, no more (a read outside it is a problem) and no fewer.
func TestSettingsTableIsWhatLoadReads(t *testing.T) {
	var asked []string
	env := base()
	cfg, err := Load(func(k string) (string, bool) {
		if !slices.Contains(asked, k) {
			asked = append(asked, k)
		}
		v, ok := env[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	names := SettingNames()
	// Secret values are settings too when there is no Key Vault; their names come from the
	// configuration, not the table.
	for _, n := range cfg.SecretNames() {
		if i := slices.Index(asked, SecretSettingName(n)); i >= 0 {
			asked = slices.Delete(asked, i, i+1)
		}
	}
	slices.Sort(asked)
	slices.Sort(names)
	if !slices.Equal(asked, names) {
		t.Errorf("Load reads %v\nthe table lists %v", asked, names)
	}
	if len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Errorf("the table repeats a name: %v", names)
	}
}

func TestSecretSettingName(t *testing.T) {
	if got := SecretSettingName("idme-client-secret"); got != "IDME_CLIENT_SECRET" {
		t.Errorf("SecretSettingName = %q", got)
	}
}
