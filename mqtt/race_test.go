//go:build race

package mqtt_test

// raceEnabled: the race detector allows at most 8128 live goroutines, and
// each connection's client holds about ten.
const raceEnabled = true
