package sandbox

import (
	"strings"
	"testing"
)

func TestReadCappedKeepsTheFirstBytesAndSignalsOverflowOnce(t *testing.T) {
	cases := []struct {
		input      string
		limit      int64
		want       string
		truncated  bool
		overflowed int
	}{
		{"hello", 10, "hello", false, 0},
		{"hello", 5, "hello", false, 0},
		{"hello!", 5, "hello", true, 1},
		{strings.Repeat("x", 200000), 70000, strings.Repeat("x", 70000), true, 1},
	}
	for _, c := range cases {
		calls := 0
		got := readCapped(strings.NewReader(c.input), c.limit, func() { calls++ })
		if string(got.data) != c.want || got.truncated != c.truncated || calls != c.overflowed {
			t.Errorf("readCapped(%d bytes, %d) = %d bytes truncated %v overflow calls %d", len(c.input), c.limit, len(got.data), got.truncated, calls)
		}
	}
}
