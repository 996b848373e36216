package rules

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

// packet is what the tests send through a Ruleset. The evaluator below interprets Rule fields
// the way the kernel interprets their rendered iptables arguments, so tests assert traffic
// outcomes (allowed or not) instead of rule text.
type packet struct {
	hook        string // FORWARD (pod to pod or beyond) or INPUT (to the node itself)
	src, dst    string
	proto       string
	dport       int
	established bool
}

// allowed reports whether the packet gets through this program's chains.
func allowed(t *testing.T, rs Ruleset, p packet) bool {
	t.Helper()
	sets := map[string]IPSet{}
	for _, s := range rs.Sets {
		sets[s.Name] = s
	}
	chains := map[string]Chain{}
	for _, c := range rs.Chains {
		chains[c.Name] = c
	}
	for _, j := range rs.Jumps {
		if j.Chain == p.hook {
			var mark uint32
			return run(t, chains, sets, j.Target, p, &mark, 0) != "REJECT"
		}
	}
	return true
}

func run(t *testing.T, chains map[string]Chain, sets map[string]IPSet, name string, p packet, mark *uint32, depth int) string {
	t.Helper()
	c, ok := chains[name]
	if !ok || depth > 10 {
		t.Fatalf("jump to missing chain %q (or loop)", name)
	}
	for _, r := range c.Rules {
		if !matches(t, sets, r, p, *mark) {
			continue
		}
		switch r.Target {
		case "RETURN":
			return ""
		case "REJECT":
			return "REJECT"
		case "MARK":
			*mark = (*mark &^ (r.SetMark | r.ClearMark)) | r.SetMark
		default:
			if v := run(t, chains, sets, r.Target, p, mark, depth+1); v != "" {
				return v
			}
		}
	}
	return ""
}

func matches(t *testing.T, sets map[string]IPSet, r Rule, p packet, mark uint32) bool {
	t.Helper()
	src, dst := netip.MustParseAddr(p.src), netip.MustParseAddr(p.dst)
	if r.CtState != "" && !(p.established && strings.Contains(r.CtState, "ESTABLISHED")) {
		return false
	}
	if r.Src != "" && !netip.MustParsePrefix(r.Src).Contains(src) {
		return false
	}
	if r.Dst != "" && !netip.MustParsePrefix(r.Dst).Contains(dst) {
		return false
	}
	if r.Proto != "" && r.Proto != p.proto {
		return false
	}
	if r.DPort != "" {
		lo, hi, _ := strings.Cut(r.DPort, ":")
		if hi == "" {
			hi = lo
		}
		l, _ := strconv.Atoi(lo)
		h, _ := strconv.Atoi(hi)
		if p.dport < l || p.dport > h {
			return false
		}
	}
	if r.SrcSet != "" && !inSet(t, sets, r.SrcSet, src.String()) {
		return false
	}
	if r.DstSet != "" && !inSet(t, sets, r.DstSet, dst.String()) {
		return false
	}
	if r.DstPortSet != "" && !inSet(t, sets, r.DstPortSet, fmt.Sprintf("%s,%s:%d", dst, p.proto, p.dport)) {
		return false
	}
	if r.MarkUnset != 0 && mark&r.MarkUnset != 0 {
		return false
	}
	return true
}

// inSet follows ipset semantics: hash:net takes the longest matching prefix, and a "nomatch"
// entry there means no match.
func inSet(t *testing.T, sets map[string]IPSet, name, key string) bool {
	t.Helper()
	s, ok := sets[name]
	if !ok {
		t.Fatalf("rule uses missing set %q", name)
	}
	switch s.Type {
	case SetHashIP, SetHashIPPort:
		for _, m := range s.Members {
			if m == key {
				return true
			}
		}
		return false
	case SetHashNet:
		addr := netip.MustParseAddr(key)
		best, bestNomatch := -1, false
		for _, m := range s.Members {
			cidr, flag, _ := strings.Cut(m, " ")
			pfx := netip.MustParsePrefix(cidr)
			if pfx.Contains(addr) && pfx.Bits() > best {
				best, bestNomatch = pfx.Bits(), flag == "nomatch"
			}
		}
		return best >= 0 && !bestNomatch
	}
	t.Fatalf("set %q has unknown type %q", name, s.Type)
	return false
}

// checkWellFormed asserts what iptables-restore and ipset would reject: overlong names,
// duplicate names, references to sets or chains that are not part of the rule set.
func checkWellFormed(t *testing.T, rs Ruleset) {
	t.Helper()
	sets := map[string]bool{}
	for _, s := range rs.Sets {
		if len(s.Name) > 31 || sets[s.Name] || !strings.HasPrefix(s.Name, Prefix) {
			t.Errorf("bad or duplicate set name %q", s.Name)
		}
		sets[s.Name] = true
	}
	chains := map[string]bool{}
	for _, c := range rs.Chains {
		if len(c.Name) > 28 || chains[c.Name] || !strings.HasPrefix(c.Name, Prefix) {
			t.Errorf("bad or duplicate chain name %q", c.Name)
		}
		chains[c.Name] = true
	}
	for _, c := range rs.Chains {
		for _, r := range c.Rules {
			for _, s := range []string{r.SrcSet, r.DstSet, r.DstPortSet} {
				if s != "" && !sets[s] {
					t.Errorf("chain %s rule %q uses undefined set %s", c.Name, r, s)
				}
			}
			switch r.Target {
			case "RETURN", "REJECT", "MARK":
			default:
				if !chains[r.Target] {
					t.Errorf("chain %s jumps to undefined chain %s", c.Name, r.Target)
				}
			}
		}
	}
}
