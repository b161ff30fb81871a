//go:build !unix

package hub_test

// fdLimit is not known on this system.
func fdLimit() (int, bool) { return 0, false }
