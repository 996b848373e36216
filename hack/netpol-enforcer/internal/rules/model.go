// Package rules turns NetworkPolicies, pods and namespaces into the iptables chains and ipsets
// that enforce them. Everything here is pure: no I/O, so every decision is unit-tested.
package rules

import (
	"fmt"
	"strings"
)

// Names shared by the rule builder, the dataplane and cleanup. Everything this program creates
// starts with Prefix, and its jump rules in the built-in chains carry JumpComment.
const (
	Prefix      = "CRNP-"
	JumpComment = "coderun-netpol"

	ChainForward = Prefix + "FORWARD"
	ChainInput   = Prefix + "INPUT"
	ChainIngress = Prefix + "INGRESS"
	ChainEgress  = Prefix + "EGRESS"

	SetIsolatedIngress = Prefix + "ISO-INGRESS"
	SetIsolatedEgress  = Prefix + "ISO-EGRESS"

	// Packet-mark bits meaning "some policy allows this packet" per direction. Bits 0x4000
	// and 0x8000 belong to kube-proxy and 0x2000 to the CNI portmap plugin; these are free.
	MarkEgressAllowed  uint32 = 0x40000
	MarkIngressAllowed uint32 = 0x80000
)

// SetType is an ipset type this program uses.
type SetType string

const (
	SetHashIP     SetType = "hash:ip"      // pod addresses
	SetHashNet    SetType = "hash:net"     // ipBlock: cidr entries plus "nomatch" except entries
	SetHashIPPort SetType = "hash:ip,port" // named ports resolved to "ip,proto:port"
)

// IPSet is one ipset with its complete desired membership.
type IPSet struct {
	Name    string
	Type    SetType
	Members []string // in ipset syntax, e.g. "10.244.0.5", "10.0.0.0/8 nomatch", "10.244.0.5,tcp:8080"
}

// Chain is one of this program's iptables chains in the filter table with all its rules.
type Chain struct {
	Name  string
	Rules []Rule
}

// Builtin names a built-in filter chain that jumps to one of this program's chains.
type Builtin struct {
	Chain  string // FORWARD or INPUT
	Target string
}

// Ruleset is the complete desired state: applying it replaces whatever this program set before.
type Ruleset struct {
	Sets     []IPSet
	Chains   []Chain
	Jumps    []Builtin
	Warnings []string // things the input asked for that are not enforced
}

// Rule is one iptables rule. Empty fields do not constrain the match.
type Rule struct {
	CtState    string // conntrack states, e.g. "RELATED,ESTABLISHED"
	Src, Dst   string // CIDR
	SrcSet     string // ipset matched against the source address
	DstSet     string // ipset matched against the destination address
	Proto      string // tcp, udp or sctp
	DPort      string // "80" or "80:90"; needs Proto
	DstPortSet string // hash:ip,port set matched against destination address and port
	MarkUnset  uint32 // match only packets where none of these mark bits is set
	Target     string // RETURN, REJECT, MARK or a chain name
	SetMark    uint32 // with Target MARK: bits to set
	ClearMark  uint32 // with Target MARK: bits to clear
}

// Args renders the rule as iptables arguments (everything after "-A CHAIN").
func (r Rule) Args() []string {
	var a []string
	if r.CtState != "" {
		a = append(a, "-m", "conntrack", "--ctstate", r.CtState)
	}
	if r.Src != "" {
		a = append(a, "-s", r.Src)
	}
	if r.Dst != "" {
		a = append(a, "-d", r.Dst)
	}
	if r.Proto != "" {
		a = append(a, "-p", r.Proto)
		if r.DPort != "" {
			a = append(a, "-m", r.Proto, "--dport", r.DPort)
		}
	}
	if r.SrcSet != "" {
		a = append(a, "-m", "set", "--match-set", r.SrcSet, "src")
	}
	if r.DstSet != "" {
		a = append(a, "-m", "set", "--match-set", r.DstSet, "dst")
	}
	if r.DstPortSet != "" {
		a = append(a, "-m", "set", "--match-set", r.DstPortSet, "dst,dst")
	}
	if r.MarkUnset != 0 {
		a = append(a, "-m", "mark", "!", "--mark", fmt.Sprintf("0x%x/0x%x", r.MarkUnset, r.MarkUnset))
	}
	a = append(a, "-j", r.Target)
	if r.Target == "MARK" {
		// --set-xmark value/mask clears the mask bits, then sets the value bits.
		a = append(a, "--set-xmark", fmt.Sprintf("0x%x/0x%x", r.SetMark, r.SetMark|r.ClearMark))
	}
	return a
}

// JumpArgs renders the rule a built-in chain uses to enter one of this program's chains.
func (b Builtin) JumpArgs() []string {
	return []string{"-m", "comment", "--comment", JumpComment, "-j", b.Target}
}

// String renders the rule for logs and test failure messages.
func (r Rule) String() string { return strings.Join(r.Args(), " ") }
