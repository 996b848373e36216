// Package dataplane applies a rules.Ruleset to the kernel with iptables-restore and ipset
// restore, and removes everything again. Script rendering is pure; apply.go runs the commands.
package dataplane

import (
	"sort"
	"strings"

	"coderun.dev/hack/netpol-enforcer/internal/rules"
)

// savedFilter is the part of `iptables-save -t filter` this program cares about.
type savedFilter struct {
	ownChains []string            // chains named with rules.Prefix
	jumps     map[string][]string // built-in chain -> its rules that carry rules.JumpComment, as "-A ..." lines
	first     map[string]string   // built-in chain -> its first rule, as "-A ..." line
}

func parseSave(saved string) savedFilter {
	s := savedFilter{jumps: map[string][]string{}, first: map[string]string{}}
	for _, line := range strings.Split(saved, "\n") {
		line = strings.TrimSpace(line)
		if name, ok := strings.CutPrefix(line, ":"+rules.Prefix); ok {
			s.ownChains = append(s.ownChains, rules.Prefix+strings.Fields(name)[0])
			continue
		}
		rest, ok := strings.CutPrefix(line, "-A ")
		if !ok {
			continue
		}
		chain := strings.Fields(rest)[0]
		if strings.HasPrefix(chain, rules.Prefix) {
			continue
		}
		if _, seen := s.first[chain]; !seen {
			s.first[chain] = line
		}
		if hasOwnComment(line) {
			s.jumps[chain] = append(s.jumps[chain], line)
		}
	}
	return s
}

func hasOwnComment(line string) bool {
	f := strings.Fields(line)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "--comment" && strings.Trim(f[i+1], `"`) == rules.JumpComment {
			return true
		}
	}
	return false
}

// IPTablesScript renders the iptables-restore --noflush input that makes the filter table match
// rs, given the current `iptables-save -t filter` output. Declaring a chain flushes it, so the
// whole replacement, stale chain removal and jump placement commit as one transaction. Each jump
// is kept as the first rule of its built-in chain so ACCEPT rules of other components (kube-proxy,
// CNI) cannot bypass policy.
func IPTablesScript(rs rules.Ruleset, saved string) string {
	cur := parseSave(saved)
	var b strings.Builder
	b.WriteString("*filter\n")
	desired := map[string]bool{}
	for _, c := range rs.Chains {
		desired[c.Name] = true
		b.WriteString(":" + c.Name + " - [0:0]\n")
	}
	var stale []string
	for _, c := range cur.ownChains {
		if !desired[c] {
			stale = append(stale, c)
			b.WriteString(":" + c + " - [0:0]\n")
		}
	}
	for _, c := range rs.Chains {
		for _, r := range c.Rules {
			b.WriteString("-A " + c.Name + " " + strings.Join(r.Args(), " ") + "\n")
		}
	}
	wanted := map[string]bool{}
	for _, j := range rs.Jumps {
		wanted[j.Chain] = true
		line := "-A " + j.Chain + " " + strings.Join(j.JumpArgs(), " ")
		existing := cur.jumps[j.Chain]
		if len(existing) == 1 && cur.first[j.Chain] == line {
			continue
		}
		for _, e := range existing {
			b.WriteString("-D" + strings.TrimPrefix(e, "-A") + "\n")
		}
		b.WriteString("-I " + j.Chain + " 1 " + strings.Join(j.JumpArgs(), " ") + "\n")
	}
	b.WriteString(deleteJumps(cur, wanted))
	for _, c := range stale {
		b.WriteString("-X " + c + "\n")
	}
	b.WriteString("COMMIT\n")
	return b.String()
}

// CleanupScript renders the iptables-restore --noflush input that removes every chain and jump
// of this program; "" when there is nothing to remove.
func CleanupScript(saved string) string {
	cur := parseSave(saved)
	if len(cur.ownChains) == 0 && len(cur.jumps) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("*filter\n")
	for _, c := range cur.ownChains {
		b.WriteString(":" + c + " - [0:0]\n")
	}
	b.WriteString(deleteJumps(cur, nil))
	for _, c := range cur.ownChains {
		b.WriteString("-X " + c + "\n")
	}
	b.WriteString("COMMIT\n")
	return b.String()
}

// deleteJumps deletes the tagged rules of built-in chains not listed in keep.
func deleteJumps(cur savedFilter, keep map[string]bool) string {
	var chains []string
	for c := range cur.jumps {
		if !keep[c] {
			chains = append(chains, c)
		}
	}
	sort.Strings(chains)
	var b strings.Builder
	for _, c := range chains {
		for _, e := range cur.jumps[c] {
			b.WriteString("-D" + strings.TrimPrefix(e, "-A") + "\n")
		}
	}
	return b.String()
}

// tmpSet is the scratch set a type's members are loaded into before the atomic swap.
func tmpSet(t rules.SetType) string {
	return rules.Prefix + "TMP-" + strings.NewReplacer("hash:", "", ",", "").Replace(string(t))
}

// IPSetScript renders `ipset restore -exist` input that gives every set of rs exactly its
// members. Each set is filled under a scratch name and swapped in, so a lookup never sees a
// half-filled set.
func IPSetScript(rs rules.Ruleset) string {
	var b strings.Builder
	used := map[rules.SetType]bool{}
	for _, s := range rs.Sets {
		tmp := tmpSet(s.Type)
		used[s.Type] = true
		b.WriteString("create " + s.Name + " " + string(s.Type) + " family inet\n")
		b.WriteString("create " + tmp + " " + string(s.Type) + " family inet\n")
		b.WriteString("flush " + tmp + "\n")
		for _, m := range s.Members {
			b.WriteString("add " + tmp + " " + m + "\n")
		}
		b.WriteString("swap " + tmp + " " + s.Name + "\n")
	}
	var types []string
	for t := range used {
		types = append(types, string(t))
	}
	sort.Strings(types)
	for _, t := range types {
		b.WriteString("destroy " + tmpSet(rules.SetType(t)) + "\n")
	}
	return b.String()
}

// StaleSets lists this program's existing sets (from `ipset list -n`) that rs does not contain.
func StaleSets(rs rules.Ruleset, existing []string) []string {
	keep := map[string]bool{}
	for _, s := range rs.Sets {
		keep[s.Name] = true
	}
	var out []string
	for _, name := range existing {
		if strings.HasPrefix(name, rules.Prefix) && !keep[name] {
			out = append(out, name)
		}
	}
	return out
}
