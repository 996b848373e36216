package protocol

import (
	"strings"
	"testing"
)

func TestCleanPath(t *testing.T) {
	cases := []struct {
		in, want, errPart string
	}{
		{"main.c", "main.c", ""},
		{"src/main.c", "src/main.c", ""},
		{"./main.c", "main.c", ""},
		{"a//b.txt", "a/b.txt", ""},
		{"..main.c", "..main.c", ""},
		{"", "", "empty"},
		{"/etc/passwd", "", "absolute"},
		{"../x", "", `".."`},
		{"a/../../x", "", `".."`},
		{"a/..", "", `".."`},
		{".", "", "work directory itself"},
		{"dir/", "", `ends with "/"`},
		{"a\x00b", "", "NUL"},
	}
	for _, c := range cases {
		got, err := CleanPath(c.in)
		if c.errPart == "" {
			if err != nil || got != c.want {
				t.Errorf("CleanPath(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.errPart) {
			t.Errorf("CleanPath(%q) error = %v, want one mentioning %s", c.in, err, c.errPart)
		}
	}
}
