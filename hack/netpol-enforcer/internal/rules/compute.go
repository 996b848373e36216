package rules

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Input is everything the enforcer watches plus where it runs.
type Input struct {
	NodeName   string
	PodCIDR    netip.Prefix // this node's pods; only these are isolated here
	Policies   []*networkingv1.NetworkPolicy
	Pods       []*corev1.Pod
	Namespaces []*corev1.Namespace
}

// direction holds what differs between ingress and egress enforcement.
type direction struct {
	suffix    string // "I" or "E", used in chain and set names
	dispatch  string // top-level chain that sends packets of isolated pods to policy chains
	isolated  string // set of pods isolated in this direction
	mark      uint32 // bit set when some policy allows the packet
	policyTyp networkingv1.PolicyType
}

var (
	ingress = direction{"I", ChainIngress, SetIsolatedIngress, MarkIngressAllowed, networkingv1.PolicyTypeIngress}
	egress  = direction{"E", ChainEgress, SetIsolatedEgress, MarkEgressAllowed, networkingv1.PolicyTypeEgress}
)

// matchSet matches set on the selected (policy-subject) pod's end of the packet, or on the
// peer's end: ingress selects by destination and matches peers by source, egress the reverse.
func (d direction) matchSet(r Rule, set string, selectedEnd bool) Rule {
	if (d == ingress) == selectedEnd {
		r.DstSet = set
	} else {
		r.SrcSet = set
	}
	return r
}

// policyRule is one ingress or egress rule, direction-neutral.
type policyRule struct {
	peers []networkingv1.NetworkPolicyPeer
	ports []networkingv1.NetworkPolicyPort
}

// Compute returns the complete rule set that enforces the given policies on this node.
func Compute(in Input) Ruleset {
	inv := newInventory(in)
	b := &builder{inv: inv, dispatch: map[string][]Rule{}, isolated: map[string][]podInfo{}}

	policies := append([]*networkingv1.NetworkPolicy{}, in.Policies...)
	sort.Slice(policies, func(i, j int) bool {
		return policies[i].Namespace+"/"+policies[i].Name < policies[j].Namespace+"/"+policies[j].Name
	})
	for _, pol := range policies {
		b.addPolicy(pol)
	}

	cidr := in.PodCIDR.String()
	clearMarks := Rule{Target: "MARK", ClearMark: MarkIngressAllowed | MarkEgressAllowed}
	replies := Rule{CtState: "RELATED,ESTABLISHED", Target: "RETURN"}
	top := []Chain{
		{Name: ChainForward, Rules: []Rule{replies, clearMarks, {Src: cidr, Target: ChainEgress}, {Dst: cidr, Target: ChainIngress}}},
		// Pod to node: only egress isolation applies. Node to pod (OUTPUT) is always allowed,
		// as kubelet probes need, so OUTPUT has no jump.
		{Name: ChainInput, Rules: []Rule{replies, clearMarks, {Src: cidr, Target: ChainEgress}}},
	}
	for _, d := range []direction{ingress, egress} {
		b.sets = append(b.sets, IPSet{Name: d.isolated, Type: SetHashIP, Members: ips(b.isolated[d.suffix])})
		deny := d.matchSet(Rule{MarkUnset: d.mark, Target: "REJECT"}, d.isolated, true)
		top = append(top, Chain{Name: d.dispatch, Rules: append(b.dispatch[d.suffix], deny)})
	}
	return Ruleset{
		Sets:     b.sets,
		Chains:   append(top, b.chains...),
		Jumps:    []Builtin{{Chain: "FORWARD", Target: ChainForward}, {Chain: "INPUT", Target: ChainInput}},
		Warnings: b.warnings,
	}
}

type builder struct {
	inv      inventory
	sets     []IPSet
	chains   []Chain
	dispatch map[string][]Rule    // per direction suffix: rules sending selected pods to policy chains
	isolated map[string][]podInfo // per direction suffix
	warnings []string
}

func (b *builder) warn(pol *networkingv1.NetworkPolicy, format string, args ...any) {
	b.warnings = append(b.warnings, fmt.Sprintf("networkpolicy %s/%s: ", pol.Namespace, pol.Name)+fmt.Sprintf(format, args...))
}

func (b *builder) addPolicy(pol *networkingv1.NetworkPolicy) {
	sel, err := metav1.LabelSelectorAsSelector(&pol.Spec.PodSelector)
	if err != nil {
		b.warn(pol, "podSelector ignored, policy not enforced: %v", err)
		return
	}
	selected := b.inv.podsMatching(func(ns string) bool { return ns == pol.Namespace }, sel, true)
	if len(selected) == 0 {
		return
	}
	id := Prefix + policyID(pol)
	selSet := id + "-S"
	b.sets = append(b.sets, IPSet{Name: selSet, Type: SetHashIP, Members: ips(selected)})

	for _, d := range effectiveDirections(pol) {
		var prs []policyRule
		if d == ingress {
			for _, r := range pol.Spec.Ingress {
				prs = append(prs, policyRule{peers: r.From, ports: r.Ports})
			}
		} else {
			for _, r := range pol.Spec.Egress {
				prs = append(prs, policyRule{peers: r.To, ports: r.Ports})
			}
		}
		chain := Chain{Name: id + "-" + d.suffix}
		for i, pr := range prs {
			chain.Rules = append(chain.Rules, b.allowRules(pol, d, fmt.Sprintf("%s-%s%d", id, d.suffix, i), pr, selected)...)
		}
		b.chains = append(b.chains, chain)
		b.dispatch[d.suffix] = append(b.dispatch[d.suffix], d.matchSet(Rule{Target: chain.Name}, selSet, true))
		b.isolated[d.suffix] = append(b.isolated[d.suffix], selected...)
	}
}

// effectiveDirections applies the API default: no policyTypes means Ingress, plus Egress when
// the policy has egress rules.
func effectiveDirections(pol *networkingv1.NetworkPolicy) []direction {
	types := pol.Spec.PolicyTypes
	if len(types) == 0 {
		types = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(pol.Spec.Egress) > 0 {
			types = append(types, networkingv1.PolicyTypeEgress)
		}
	}
	var out []direction
	for _, d := range []direction{ingress, egress} {
		for _, t := range types {
			if t == d.policyTyp {
				out = append(out, d)
				break
			}
		}
	}
	return out
}

// allowRules renders one policy rule: every (peer, port) combination marks the packet allowed.
func (b *builder) allowRules(pol *networkingv1.NetworkPolicy, d direction, name string, pr policyRule, selected []podInfo) []Rule {
	peerSets := b.peerSets(pol, name, pr.peers)
	// Named ports name a port of the destination pod: the selected pod for ingress, any pod for egress.
	portTargets := selected
	if d == egress {
		portTargets = b.inv.pods
	}
	ports := b.portMatches(pol, name, pr.ports, portTargets)
	var out []Rule
	for _, peer := range peerSets {
		for _, port := range ports {
			r := port
			if peer != "" {
				r = d.matchSet(r, peer, false)
			}
			r.Target, r.SetMark = "MARK", d.mark
			out = append(out, r)
		}
	}
	return out
}

// peerSets creates the sets for a rule's peers and returns their names; "" means any peer.
// An empty result means the rule allows nobody.
func (b *builder) peerSets(pol *networkingv1.NetworkPolicy, name string, peers []networkingv1.NetworkPolicyPeer) []string {
	if len(peers) == 0 {
		return []string{""}
	}
	var out []string
	var podPeers []podInfo
	hasPodPeer := false
	for j, peer := range peers {
		switch {
		case peer.IPBlock != nil:
			members, err := ipBlockMembers(peer.IPBlock)
			if err != nil {
				b.warn(pol, "ipBlock %q ignored: %v", peer.IPBlock.CIDR, err)
				continue
			}
			setName := fmt.Sprintf("%sB%d", name, j)
			b.sets = append(b.sets, IPSet{Name: setName, Type: SetHashNet, Members: members})
			out = append(out, setName)
		case peer.PodSelector != nil || peer.NamespaceSelector != nil:
			pods, err := b.peerPods(pol.Namespace, peer)
			if err != nil {
				b.warn(pol, "peer ignored: %v", err)
				continue
			}
			hasPodPeer = true
			podPeers = append(podPeers, pods...)
		default:
			b.warn(pol, "empty peer ignored")
		}
	}
	if hasPodPeer && len(podPeers) > 0 {
		setName := name + "P"
		b.sets = append(b.sets, IPSet{Name: setName, Type: SetHashIP, Members: ips(podPeers)})
		out = append(out, setName)
	}
	return out
}

// peerPods resolves a podSelector/namespaceSelector peer. Without a namespaceSelector the pods
// come from the policy's namespace; a nil podSelector means all pods of the selected namespaces.
func (b *builder) peerPods(policyNS string, peer networkingv1.NetworkPolicyPeer) ([]podInfo, error) {
	podSel := labels.Everything()
	if peer.PodSelector != nil {
		s, err := metav1.LabelSelectorAsSelector(peer.PodSelector)
		if err != nil {
			return nil, err
		}
		podSel = s
	}
	nsOK := func(ns string) bool { return ns == policyNS }
	if peer.NamespaceSelector != nil {
		nsSel, err := metav1.LabelSelectorAsSelector(peer.NamespaceSelector)
		if err != nil {
			return nil, err
		}
		nsOK = func(ns string) bool {
			l, known := b.inv.nsLabels[ns]
			return known && nsSel.Matches(l)
		}
	}
	return b.inv.podsMatching(nsOK, podSel, false), nil
}

// ipBlockMembers renders an ipBlock as hash:net entries: the cidr matches, each except is a
// "nomatch" entry, and ipset's longest-prefix lookup makes the except win inside the cidr.
func ipBlockMembers(block *networkingv1.IPBlock) ([]string, error) {
	cidr, err := netip.ParsePrefix(block.CIDR)
	if err != nil {
		return nil, err
	}
	if !cidr.Addr().Is4() {
		return nil, fmt.Errorf("only IPv4 is enforced on this node")
	}
	cidr = cidr.Masked()
	var members []string
	if cidr.Bits() == 0 {
		// hash:net rejects a zero prefix length; two halves cover the same addresses.
		members = []string{"0.0.0.0/1", "128.0.0.0/1"}
	} else {
		members = []string{cidr.String()}
	}
	for _, e := range block.Except {
		ex, err := netip.ParsePrefix(e)
		if err != nil {
			return nil, fmt.Errorf("except %q: %v", e, err)
		}
		ex = ex.Masked()
		if !ex.Addr().Is4() || !cidr.Overlaps(ex) {
			continue
		}
		if ex.Bits() <= cidr.Bits() {
			return nil, fmt.Errorf("except %s covers the whole cidr", ex)
		}
		members = append(members, ex.String()+" nomatch")
	}
	return members, nil
}

// portMatches turns a rule's ports into rule templates (only protocol/port fields set).
// No ports means all ports of all protocols.
func (b *builder) portMatches(pol *networkingv1.NetworkPolicy, name string, ports []networkingv1.NetworkPolicyPort, namedPortPods []podInfo) []Rule {
	if len(ports) == 0 {
		return []Rule{{}}
	}
	var out []Rule
	for k, p := range ports {
		proto := corev1.ProtocolTCP
		if p.Protocol != nil {
			proto = *p.Protocol
		}
		switch proto {
		case corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
		default:
			b.warn(pol, "port with protocol %q ignored", proto)
			continue
		}
		r := Rule{Proto: strings.ToLower(string(proto))}
		switch {
		case p.Port == nil:
		case p.Port.StrVal != "":
			setName := fmt.Sprintf("%sN%d", name, k)
			b.sets = append(b.sets, IPSet{Name: setName, Type: SetHashIPPort, Members: namedPortMembers(namedPortPods, p.Port.StrVal, proto)})
			r.DstPortSet = setName
		default:
			r.DPort = strconv.Itoa(int(p.Port.IntVal))
			if p.EndPort != nil && *p.EndPort > p.Port.IntVal {
				r.DPort += ":" + strconv.Itoa(int(*p.EndPort))
			}
		}
		out = append(out, r)
	}
	return out
}

// policyID is a short stable name for a policy, safe for ipset's 31-character names.
func policyID(pol *networkingv1.NetworkPolicy) string {
	sum := sha256.Sum256([]byte(pol.Namespace + "/" + pol.Name))
	return base32.StdEncoding.EncodeToString(sum[:])[:12]
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }
