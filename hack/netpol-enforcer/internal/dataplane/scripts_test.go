package dataplane

import (
	"strings"
	"testing"

	"coderun.dev/hack/netpol-enforcer/internal/rules"
)

func TestIPTablesScriptPlacesJumpsFirstOnlyWhenNeeded(t *testing.T) {
	rs := rules.Ruleset{
		Chains: []rules.Chain{{Name: rules.ChainForward}, {Name: rules.ChainInput}},
		Jumps:  []rules.Builtin{{Chain: "FORWARD", Target: rules.ChainForward}, {Chain: "INPUT", Target: rules.ChainInput}},
	}
	jumpF := "-A FORWARD -m comment --comment coderun-netpol -j CRNP-FORWARD"
	jumpI := "-A INPUT -m comment --comment coderun-netpol -j CRNP-INPUT"
	foreign := "-A FORWARD -m comment --comment \"kubernetes forwarding rules\" -j KUBE-FORWARD"
	tests := []struct {
		name    string
		saved   string
		want    []string // lines the script must contain
		notWant []string
	}{
		{
			name:    "nothing installed: insert both jumps",
			saved:   "*filter\n:FORWARD ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\nCOMMIT\n",
			want:    []string{"-I FORWARD 1 -m comment --comment coderun-netpol -j CRNP-FORWARD", "-I INPUT 1 -m comment --comment coderun-netpol -j CRNP-INPUT"},
			notWant: []string{"-D "},
		},
		{
			name:    "jumps already first: leave the built-in chains alone",
			saved:   strings.Join([]string{"*filter", ":CRNP-FORWARD - [0:0]", ":CRNP-INPUT - [0:0]", jumpF, foreign, jumpI, "COMMIT"}, "\n"),
			notWant: []string{"-D ", "-I "},
		},
		{
			name:    "another component went first: move the jump back to the top",
			saved:   strings.Join([]string{"*filter", ":CRNP-FORWARD - [0:0]", foreign, jumpF, jumpI, "COMMIT"}, "\n"),
			want:    []string{"-D FORWARD -m comment --comment coderun-netpol -j CRNP-FORWARD", "-I FORWARD 1 -m comment --comment coderun-netpol -j CRNP-FORWARD"},
			notWant: []string{"-D INPUT", "-I INPUT", "-D FORWARD -m comment --comment \"kubernetes"},
		},
		{
			name:  "stale policy chain and a jump from a chain no longer used are removed",
			saved: strings.Join([]string{"*filter", ":CRNP-OLDPOLICY-I - [0:0]", jumpF, jumpI, "-A OUTPUT -m comment --comment coderun-netpol -j CRNP-OUTPUT", "COMMIT"}, "\n"),
			want:  []string{":CRNP-OLDPOLICY-I - [0:0]", "-X CRNP-OLDPOLICY-I", "-D OUTPUT -m comment --comment coderun-netpol -j CRNP-OUTPUT"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			script := IPTablesScript(rs, tc.saved)
			lines := strings.Split(script, "\n")
			for _, w := range tc.want {
				if !contains(lines, w) {
					t.Errorf("script lacks %q:\n%s", w, script)
				}
			}
			for _, nw := range tc.notWant {
				if strings.Contains(script, nw) {
					t.Errorf("script must not contain %q:\n%s", nw, script)
				}
			}
		})
	}
}

func TestCleanupScriptIsEmptyWhenNothingIsInstalled(t *testing.T) {
	if s := CleanupScript("*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -j KUBE-FORWARD\nCOMMIT\n"); s != "" {
		t.Fatalf("cleanup of a table without our rules produced:\n%s", s)
	}
}

func contains(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}
