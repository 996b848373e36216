package rules

import (
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const (
	node     = "node-1"
	nodeIP   = "192.0.2.2"
	server   = "10.244.0.10" // app/server, labels app=server, named port http=8080/TCP
	client   = "10.244.0.11" // app/client, role=client
	stranger = "10.244.0.12" // app/stranger, role=other
	oClient  = "10.244.0.20" // other/client, role=client
	oOther   = "10.244.0.21" // other/x, role=other
	prom     = "10.244.0.30" // monitoring/prom, role=client
	remote   = "10.244.1.5"  // app/remote on another node
	outside  = "198.51.100.7"
)

func ns(name string, l map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l}}
}

func pod(namespace, name, ip string, l map[string]string, ports ...corev1.ContainerPort) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: l},
		Spec:       corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "c", Ports: ports}}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}}},
	}
}

func cluster() ([]*corev1.Namespace, []*corev1.Pod) {
	remotePod := pod("app", "remote", remote, map[string]string{"app": "server"})
	remotePod.Spec.NodeName = "node-2"
	hostPod := pod("app", "hostnet", nodeIP, map[string]string{"app": "server"})
	hostPod.Spec.HostNetwork = true
	return []*corev1.Namespace{
			ns("app", map[string]string{"team": "a"}),
			ns("other", map[string]string{"team": "b"}),
			ns("monitoring", map[string]string{"team": "mon"}),
		}, []*corev1.Pod{
			pod("app", "server", server, map[string]string{"app": "server"}, corev1.ContainerPort{Name: "http", ContainerPort: 8080}),
			pod("app", "client", client, map[string]string{"role": "client"}),
			pod("app", "stranger", stranger, map[string]string{"role": "other"}),
			pod("other", "client", oClient, map[string]string{"role": "client"}),
			pod("other", "x", oOther, map[string]string{"role": "other"}),
			pod("monitoring", "prom", prom, map[string]string{"role": "client"}),
			remotePod, hostPod,
		}
}

func sel(kv ...string) *metav1.LabelSelector {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return &metav1.LabelSelector{MatchLabels: m}
}

func policy(name string, podSel *metav1.LabelSelector, types []networkingv1.PolicyType, in []networkingv1.NetworkPolicyIngressRule, out []networkingv1.NetworkPolicyEgressRule) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: name},
		Spec:       networkingv1.NetworkPolicySpec{PodSelector: *podSel, PolicyTypes: types, Ingress: in, Egress: out},
	}
}

var (
	onlyIngress = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	onlyEgress  = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
	both        = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	tcp         = corev1.ProtocolTCP
	udp         = corev1.ProtocolUDP
	sctp        = corev1.ProtocolSCTP
)

func port(proto corev1.Protocol, p intstr.IntOrString, end ...int32) networkingv1.NetworkPolicyPort {
	pp := networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &p}
	if len(end) > 0 {
		pp.EndPort = &end[0]
	}
	return pp
}

func fwd(src, dst string, dport int) packet {
	return packet{hook: "FORWARD", src: src, dst: dst, proto: "tcp", dport: dport}
}

type expectation struct {
	p    packet
	want bool
}

func TestCompute(t *testing.T) {
	all := &metav1.LabelSelector{}
	serverSel := sel("app", "server")
	tests := []struct {
		name     string
		policies []*networkingv1.NetworkPolicy
		expect   []expectation
	}{
		{
			name: "no policy allows everything",
			expect: []expectation{
				{fwd(client, server, 8080), true},
				{fwd(oClient, server, 1), true},
				{packet{hook: "INPUT", src: server, dst: nodeIP, proto: "tcp", dport: 22}, true},
			},
		},
		{
			name:     "default-deny ingress blocks new connections to the namespace but not from it",
			policies: []*networkingv1.NetworkPolicy{policy("deny", all, onlyIngress, nil, nil)},
			expect: []expectation{
				{fwd(client, server, 8080), false},
				{fwd(oClient, server, 8080), false},
				{fwd(server, oClient, 80), true},
				{fwd(oClient, oOther, 80), true},
				{packet{hook: "FORWARD", src: server, dst: client, proto: "tcp", dport: 40000, established: true}, true},
				{packet{hook: "INPUT", src: server, dst: nodeIP, proto: "tcp", dport: 22}, true},
			},
		},
		{
			name:     "default-deny egress blocks pods, the node and the outside; replies still pass",
			policies: []*networkingv1.NetworkPolicy{policy("deny", all, onlyEgress, nil, nil)},
			expect: []expectation{
				{fwd(server, client, 80), false},
				{fwd(server, oClient, 80), false},
				{fwd(server, outside, 443), false},
				{packet{hook: "INPUT", src: server, dst: nodeIP, proto: "tcp", dport: 22}, false},
				{packet{hook: "INPUT", src: server, dst: "10.244.0.1", proto: "udp", dport: 53}, false},
				{fwd(oClient, server, 8080), true},
				{packet{hook: "FORWARD", src: server, dst: oClient, proto: "tcp", dport: 40000, established: true}, true},
				{packet{hook: "INPUT", src: oClient, dst: nodeIP, proto: "tcp", dport: 22}, true},
			},
		},
		{
			name: "podSelector peer allows matching pods of the policy's namespace only",
			policies: []*networkingv1.NetworkPolicy{policy("allow-clients", serverSel, onlyIngress,
				[]networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: sel("role", "client")}}}}, nil)},
			expect: []expectation{
				{fwd(client, server, 8080), true},
				{fwd(stranger, server, 8080), false},
				{fwd(oClient, server, 8080), false},
				{fwd(server, client, 8080), true},   // client is not selected: not isolated
				{fwd(stranger, client, 8080), true}, // idem
			},
		},
		{
			name: "namespaceSelector peer allows every pod of matching namespaces",
			policies: []*networkingv1.NetworkPolicy{policy("allow-team-b", serverSel, onlyIngress,
				[]networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: sel("team", "b")}}}}, nil)},
			expect: []expectation{
				{fwd(oClient, server, 8080), true},
				{fwd(oOther, server, 8080), true},
				{fwd(client, server, 8080), false},
				{fwd(prom, server, 8080), false},
			},
		},
		{
			name: "namespaceSelector and podSelector in one peer require both",
			policies: []*networkingv1.NetworkPolicy{policy("allow-b-clients", serverSel, onlyIngress,
				[]networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: sel("team", "b"), PodSelector: sel("role", "client")}}}}, nil)},
			expect: []expectation{
				{fwd(oClient, server, 8080), true},
				{fwd(oOther, server, 8080), false},
				{fwd(client, server, 8080), false},
				{fwd(prom, server, 8080), false},
			},
		},
		{
			name: "ipBlock with except, including the whole address space",
			policies: []*networkingv1.NetworkPolicy{policy("egress-blocks", serverSel, onlyEgress, nil,
				[]networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{
					{IPBlock: &networkingv1.IPBlock{CIDR: "192.0.2.0/24", Except: []string{"192.0.2.2/32"}}},
					{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"10.244.0.0/24", "192.0.2.0/24"}}},
				}}})},
			expect: []expectation{
				{fwd(server, "192.0.2.9", 80), true},
				{packet{hook: "INPUT", src: server, dst: nodeIP, proto: "tcp", dport: 6443}, false},
				{fwd(server, outside, 443), true},
				{fwd(server, "203.0.113.200", 443), true},
				{fwd(server, client, 80), false},
				{fwd(server, remote, 80), true}, // 10.244.1.0/24 is outside the excepted range
			},
		},
		{
			name: "ports: number, range, named port, protocol",
			policies: []*networkingv1.NetworkPolicy{policy("ports", serverSel, onlyIngress,
				[]networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{
					port(tcp, intstr.FromInt32(7000)),
					port(tcp, intstr.FromInt32(9000), 9010),
					port(tcp, intstr.FromString("http")),
					port(udp, intstr.FromInt32(53)),
					port(sctp, intstr.FromInt32(3868)),
				}}}, nil)},
			expect: []expectation{
				{fwd(client, server, 7000), true},
				{fwd(client, server, 7001), false},
				{fwd(client, server, 9000), true},
				{fwd(client, server, 9010), true},
				{fwd(client, server, 9011), false},
				{fwd(client, server, 8080), true}, // "http"
				{packet{hook: "FORWARD", src: client, dst: server, proto: "udp", dport: 8080}, false},
				{packet{hook: "FORWARD", src: client, dst: server, proto: "udp", dport: 53}, true},
				{fwd(client, server, 53), false},
				{packet{hook: "FORWARD", src: client, dst: server, proto: "sctp", dport: 3868}, true},
			},
		},
		{
			name: "multiple policies allow the union of their rules, each rule's peers with its own ports",
			policies: []*networkingv1.NetworkPolicy{
				policy("a", serverSel, onlyIngress, []networkingv1.NetworkPolicyIngressRule{{
					From:  []networkingv1.NetworkPolicyPeer{{PodSelector: sel("role", "client")}},
					Ports: []networkingv1.NetworkPolicyPort{port(tcp, intstr.FromInt32(8080))},
				}}, nil),
				policy("b", serverSel, onlyIngress, []networkingv1.NetworkPolicyIngressRule{{
					From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: sel("team", "b")}},
					Ports: []networkingv1.NetworkPolicyPort{port(tcp, intstr.FromInt32(9090))},
				}}, nil),
			},
			expect: []expectation{
				{fwd(client, server, 8080), true},
				{fwd(client, server, 9090), false},
				{fwd(oClient, server, 9090), true},
				{fwd(oClient, server, 8080), false},
				{fwd(stranger, server, 8080), false},
			},
		},
		{
			name: "a connection needs the sender's egress and the receiver's ingress",
			policies: []*networkingv1.NetworkPolicy{
				policy("client-out", sel("role", "client"), onlyEgress, nil, []networkingv1.NetworkPolicyEgressRule{{
					To: []networkingv1.NetworkPolicyPeer{{PodSelector: serverSel}},
				}}),
				policy("server-in", serverSel, onlyIngress, nil, nil),
			},
			expect: []expectation{
				{fwd(client, server, 8080), false}, // egress allows, ingress denies
				{fwd(client, stranger, 8080), false},
				{fwd(stranger, client, 8080), true},
			},
		},
		{
			name: "egress and ingress both allowing let the connection through",
			policies: []*networkingv1.NetworkPolicy{
				policy("client-out", sel("role", "client"), onlyEgress, nil, []networkingv1.NetworkPolicyEgressRule{{
					To:    []networkingv1.NetworkPolicyPeer{{PodSelector: serverSel}},
					Ports: []networkingv1.NetworkPolicyPort{port(tcp, intstr.FromString("http"))},
				}}),
				policy("server-in", serverSel, onlyIngress, []networkingv1.NetworkPolicyIngressRule{{
					From: []networkingv1.NetworkPolicyPeer{{PodSelector: sel("role", "client")}},
				}}, nil),
			},
			expect: []expectation{
				{fwd(client, server, 8080), true},
				{fwd(client, server, 8081), false}, // not the named port
				{fwd(client, stranger, 8080), false},
			},
		},
		{
			name: "missing policyTypes means Ingress, plus Egress when egress rules exist",
			policies: []*networkingv1.NetworkPolicy{policy("implicit", serverSel, nil, nil, []networkingv1.NetworkPolicyEgressRule{{
				To: []networkingv1.NetworkPolicyPeer{{PodSelector: sel("role", "client")}},
			}})},
			expect: []expectation{
				{fwd(client, server, 8080), false},
				{fwd(server, client, 80), true},
				{fwd(server, stranger, 80), false},
			},
		},
		{
			name:     "pods on other nodes and host-network pods are not isolated here",
			policies: []*networkingv1.NetworkPolicy{policy("deny", serverSel, both, nil, nil)},
			expect: []expectation{
				{fwd(client, remote, 8080), true},
				{fwd(client, server, 8080), false},
				{packet{hook: "INPUT", src: client, dst: nodeIP, proto: "tcp", dport: 10250}, true},
			},
		},
		{
			name: "a policy in another namespace does not select these pods",
			policies: []*networkingv1.NetworkPolicy{func() *networkingv1.NetworkPolicy {
				p := policy("deny", all, both, nil, nil)
				p.Namespace = "other"
				return p
			}()},
			expect: []expectation{
				{fwd(client, server, 8080), true},
				{fwd(client, oClient, 8080), false},
				{fwd(oClient, client, 8080), false},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			namespaces, pods := cluster()
			rs := Compute(Input{NodeName: node, PodCIDR: netip.MustParsePrefix("10.244.0.0/24"), Policies: tc.policies, Pods: pods, Namespaces: namespaces})
			checkWellFormed(t, rs)
			if len(rs.Warnings) > 0 {
				t.Errorf("unexpected warnings: %v", rs.Warnings)
			}
			for _, e := range tc.expect {
				if got := allowed(t, rs, e.p); got != e.want {
					t.Errorf("%s %s %s -> %s:%d established=%v: allowed=%v, want %v", e.p.hook, e.p.proto, e.p.src, e.p.dst, e.p.dport, e.p.established, got, e.want)
				}
			}
		})
	}
}

func TestComputeWarnsAboutWhatItCannotEnforce(t *testing.T) {
	namespaces, pods := cluster()
	pol := policy("v6", sel("app", "server"), onlyEgress, nil, []networkingv1.NetworkPolicyEgressRule{{
		To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "2001:db8::/32"}}},
	}})
	rs := Compute(Input{NodeName: node, PodCIDR: netip.MustParsePrefix("10.244.0.0/24"), Policies: []*networkingv1.NetworkPolicy{pol}, Pods: pods, Namespaces: namespaces})
	if len(rs.Warnings) != 1 || !strings.Contains(rs.Warnings[0], "app/v6") || !strings.Contains(rs.Warnings[0], "2001:db8::/32") {
		t.Fatalf("warnings = %v, want one naming the policy and the IPv6 block", rs.Warnings)
	}
	// The pod stays isolated: ignoring an allow rule must never open traffic.
	if allowed(t, rs, fwd(server, outside, 443)) {
		t.Fatal("egress allowed although the only rule was ignored")
	}
}

func TestRuleArgs(t *testing.T) {
	tests := []struct {
		rule Rule
		want string
	}{
		{Rule{CtState: "RELATED,ESTABLISHED", Target: "RETURN"}, "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN"},
		{Rule{Target: "MARK", ClearMark: 0xc0000}, "-j MARK --set-xmark 0x0/0xc0000"},
		{Rule{SrcSet: "CRNP-A-I0P", Proto: "tcp", DPort: "80:90", Target: "MARK", SetMark: 0x80000}, "-p tcp -m tcp --dport 80:90 -m set --match-set CRNP-A-I0P src -j MARK --set-xmark 0x80000/0x80000"},
		{Rule{Proto: "udp", DstPortSet: "CRNP-A-I0N0", Target: "MARK", SetMark: 0x80000}, "-p udp -m set --match-set CRNP-A-I0N0 dst,dst -j MARK --set-xmark 0x80000/0x80000"},
		{Rule{DstSet: "CRNP-ISO-INGRESS", MarkUnset: 0x80000, Target: "REJECT"}, "-m set --match-set CRNP-ISO-INGRESS dst -m mark ! --mark 0x80000/0x80000 -j REJECT"},
		{Rule{Src: "10.244.0.0/24", Target: "CRNP-EGRESS"}, "-s 10.244.0.0/24 -j CRNP-EGRESS"},
	}
	for _, tc := range tests {
		if got := tc.rule.String(); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}
