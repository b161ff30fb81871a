// Package extest holds what the examples' tests share.
package extest

import (
	"bytes"
	"sync"
)

// SyncBuffer is a bytes.Buffer safe to write and read at once: a log or
// output sink a program's goroutines write while the test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
