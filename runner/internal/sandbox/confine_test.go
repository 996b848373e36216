package sandbox

import "testing"

func TestConfinementMustHideATopLevelDirectoryAndReachOnlyUnderIt(t *testing.T) {
	cases := []struct {
		c    Confinement
		want bool
	}{
		{Confinement{Hide: "/coderun"}, true},
		{Confinement{Hide: "/coderun", Reach: []string{"/coderun/judge/a", "/coderun/judge/b"}}, true},
		{Confinement{Hide: "/coderun/judge"}, false}, // not top-level: its parent would stay open
		{Confinement{Hide: "coderun"}, false},        // relative
		{Confinement{Hide: "/"}, false},              // everything
		{Confinement{Hide: "/coderun", Reach: []string{"/tmp/x"}}, false},
		{Confinement{Hide: "/coderun", Reach: []string{"/coderunner/x"}}, false}, // a sibling with the same prefix
		{Confinement{Hide: "/coderun", Reach: []string{"/coderun"}}, false},      // all of it
	}
	for _, c := range cases {
		if err := c.c.valid(); (err == nil) != c.want {
			t.Errorf("%+v: valid() = %v, want ok %v", c.c, err, c.want)
		}
	}
}
