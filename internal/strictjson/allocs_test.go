//go:build !race

// The race detector allocates on its own, so allocation counts are checked
// only without it.

package strictjson_test

import (
	"testing"

	"github.com/nemiot/nemiot/internal/strictjson"
)

func TestUnmarshalAllocs(t *testing.T) {
	in := []byte(`{"cmd":"light","args":{"on":true},"pad":"0123456789abcdef"}`)
	var b body
	n := testing.AllocsPerRun(100, func() {
		if err := strictjson.Unmarshal(in, &b); err != nil {
			t.Fatal(err)
		}
	})
	if n > 3 {
		t.Errorf("%v allocations per read", n)
	}
}
