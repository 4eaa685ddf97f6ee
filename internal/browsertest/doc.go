// Package browsertest drives a real browser (headless Chromium) through dev mode: sign-ins with
// JavaScript on and off, the cross-site return from the ID.me simulator, and the demo's pages
// on a phone-sized screen. It has only tests; the browser talks to loopback servers only.
package browsertest
