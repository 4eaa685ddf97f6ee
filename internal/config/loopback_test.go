package config

import "testing"

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost":             true,
		"127.0.0.1":             true,
		"127.0.0.2":             true,
		"::1":                   true,
		"":                      false,
		"[::1]":                 false, // a Hostname() never has brackets
		"localhost.example.com": false,
		"127.0.0.1.example.com": false,
		"::ffff:8.8.8.8":        false,
		"10.0.0.1":              false,
		"0.0.0.0":               false,
	} {
		if got := IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}
