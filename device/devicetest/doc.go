// Package devicetest provides a test double for [device.Commander]: a
// [Recorder] that records every command, answers with canned results or
// injected errors, and can pass commands through to a real device (as
// periph's i2ctest.Record does for a bus). Use it to test a command front
// end, such as package hub, without pins.
//
//	r := &devicetest.Recorder{Results: map[string]any{"light": map[string]any{"on": true}}}
//	// … hand r to the code under test, then:
//	calls := r.Calls()
package devicetest
