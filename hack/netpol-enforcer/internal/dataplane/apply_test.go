package dataplane

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"coderun.dev/hack/netpol-enforcer/internal/rules"
)

// These tests run the real iptables, ipset and kernel inside private network namespaces made
// for the test: a "node" namespace routing to two "pod" namespaces over veth pairs, wired like
// the ptp CNI plugin. No packet leaves them. They need root.

const (
	gateway = "10.244.0.1" // the node's address on every pod link, as ptp sets it up
	podA    = "10.244.0.10"
	podB    = "10.244.0.11"
)

type lab struct {
	node, a, b string // namespace names
}

func sh(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func newLab(t *testing.T) lab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root: it creates network namespaces and firewall rules in them")
	}
	for _, tool := range []string{"ip", "iptables-restore", "ipset", "busybox"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("this test needs %s: install the host packages with bash hack/cluster/install-host-deps.sh", tool)
		}
	}
	id := fmt.Sprintf("%d", os.Getpid()%100000)
	l := lab{node: "crnp-node-" + id, a: "crnp-a-" + id, b: "crnp-b-" + id}
	for _, n := range []string{l.node, l.a, l.b} {
		sh(t, "ip", "netns", "add", n)
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", n).Run() })
	}
	sh(t, "ip", "netns", "exec", l.node, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	sh(t, "ip", "-n", l.node, "link", "set", "lo", "up")
	for i, p := range []struct{ ns, ip string }{{l.a, podA}, {l.b, podB}} {
		veth := fmt.Sprintf("veth%d", i)
		sh(t, "ip", "-n", l.node, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", p.ns)
		sh(t, "ip", "-n", l.node, "addr", "add", gateway+"/32", "dev", veth)
		sh(t, "ip", "-n", l.node, "link", "set", veth, "up")
		sh(t, "ip", "-n", l.node, "route", "add", p.ip+"/32", "dev", veth)
		sh(t, "ip", "-n", p.ns, "addr", "add", p.ip+"/32", "dev", "eth0")
		sh(t, "ip", "-n", p.ns, "link", "set", "eth0", "up")
		sh(t, "ip", "-n", p.ns, "link", "set", "lo", "up")
		sh(t, "ip", "-n", p.ns, "route", "add", gateway, "dev", "eth0", "scope", "link")
		sh(t, "ip", "-n", p.ns, "route", "add", "default", "via", gateway, "dev", "eth0")
	}
	return l
}

// dataplane returns a Dataplane acting inside the lab's node namespace.
func (l lab) dataplane() Dataplane {
	return Dataplane{Run: func(ctx context.Context, stdin, name string, args ...string) (string, error) {
		return Exec(ctx, stdin, "ip", append([]string{"netns", "exec", l.node, name}, args...)...)
	}}
}

// listen starts a TCP server answering "ok" in namespace ns until the test ends.
func listen(t *testing.T, ns, port string) {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", ns, "busybox", "nc", "-ll", "-p", port, "-e", "echo", "ok")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	time.Sleep(200 * time.Millisecond)
}

// connects reports whether a TCP connection from namespace ns to addr:port gets the server's answer.
func connects(ns, addr, port string) bool {
	out, _ := exec.Command("ip", "netns", "exec", ns, "busybox", "nc", "-w", "2", addr, port).CombinedOutput()
	return strings.TrimSpace(string(out)) == "ok"
}

func labInput(policies ...*networkingv1.NetworkPolicy) rules.Input {
	mk := func(name, ip string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "lab", Name: name, Labels: map[string]string{"name": name}},
			Spec:       corev1.PodSpec{NodeName: "node"},
			Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip},
		}
	}
	return rules.Input{
		NodeName:   "node",
		PodCIDR:    netip.MustParsePrefix("10.244.0.0/24"),
		Policies:   policies,
		Pods:       []*corev1.Pod{mk("a", podA), mk("b", podB)},
		Namespaces: []*corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "lab"}}},
	}
}

func denyPolicy(name, target string, types ...networkingv1.PolicyType) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "lab", Name: name},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"name": target}},
			PolicyTypes: types,
		},
	}
}

func TestApplyEnforcesOnRealPackets(t *testing.T) {
	l := newLab(t)
	dp := l.dataplane()
	ctx := context.Background()
	listen(t, l.b, "8080")
	listen(t, l.node, "9000")

	if _, err := dp.Apply(ctx, rules.Compute(labInput())); err != nil {
		t.Fatal(err)
	}
	if !connects(l.a, podB, "8080") || !connects(l.a, gateway, "9000") {
		t.Fatal("without policies pod a must reach pod b and the node")
	}

	if _, err := dp.Apply(ctx, rules.Compute(labInput(denyPolicy("deny-b", "b", networkingv1.PolicyTypeIngress)))); err != nil {
		t.Fatal(err)
	}
	if connects(l.a, podB, "8080") {
		t.Error("ingress default-deny on b: a still reaches b")
	}
	if !connects(l.a, gateway, "9000") {
		t.Error("ingress default-deny on b must not stop a reaching the node")
	}
	if !connects(l.node, podB, "8080") {
		t.Error("the node (kubelet probes) must reach an ingress-isolated pod")
	}

	if _, err := dp.Apply(ctx, rules.Compute(labInput(denyPolicy("deny-a", "a", networkingv1.PolicyTypeEgress)))); err != nil {
		t.Fatal(err)
	}
	if connects(l.a, podB, "8080") || connects(l.a, gateway, "9000") {
		t.Error("egress default-deny on a: a still reaches b or the node")
	}

	if err := dp.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if !connects(l.a, podB, "8080") || !connects(l.a, gateway, "9000") {
		t.Error("after cleanup pod a must reach pod b and the node again")
	}
}

func TestApplyReplacesStaleStateAndCleanupRemovesEverything(t *testing.T) {
	l := newLab(t)
	dp := l.dataplane()
	ctx := context.Background()
	run := func(args ...string) string {
		out, err := dp.Run(ctx, "", args[0], args[1:]...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	if err := dp.Cleanup(ctx); err != nil {
		t.Fatalf("cleanup with nothing installed: %v", err)
	}
	withPolicy := rules.Compute(labInput(denyPolicy("deny-b", "b", networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress)))
	if _, err := dp.Apply(ctx, withPolicy); err != nil {
		t.Fatal(err)
	}
	// Another component prepends its own rule; the next apply must put policy first again.
	run("iptables", "-I", "FORWARD", "1", "-s", "203.0.113.0/24", "-j", "ACCEPT")
	if _, err := dp.Apply(ctx, withPolicy); err != nil {
		t.Fatal(err)
	}
	for _, chain := range []string{"FORWARD", "INPUT"} {
		lines := strings.Split(strings.TrimSpace(run("iptables", "-S", chain)), "\n")
		if len(lines) < 2 || !strings.Contains(lines[1], rules.JumpComment) {
			t.Errorf("%s: first rule is not the policy jump: %q", chain, lines)
		}
		if n := strings.Count(strings.Join(lines, "\n"), rules.JumpComment); n != 1 {
			t.Errorf("%s: %d policy jumps, want 1", chain, n)
		}
	}
	policySets := run("ipset", "list", "-n")
	if strings.Count(policySets, rules.Prefix) != len(withPolicy.Sets) {
		t.Errorf("sets after apply:\n%s\nwant exactly %d", policySets, len(withPolicy.Sets))
	}
	if !strings.Contains(run("ipset", "list", rules.SetIsolatedIngress), podB) {
		t.Error("pod b missing from the ingress-isolated set")
	}

	// Dropping the policy removes its chains and sets.
	if _, err := dp.Apply(ctx, rules.Compute(labInput())); err != nil {
		t.Fatal(err)
	}
	saved := run("iptables-save", "-t", "filter")
	for _, c := range withPolicy.Chains {
		if !isTopLevel(c.Name) && strings.Contains(saved, c.Name) {
			t.Errorf("stale chain %s left behind", c.Name)
		}
	}
	if got := strings.Count(run("ipset", "list", "-n"), rules.Prefix); got != 2 {
		t.Errorf("%d sets left without policies, want the 2 isolation sets", got)
	}

	if err := dp.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if saved := run("iptables-save", "-t", "filter"); strings.Contains(saved, rules.Prefix) || strings.Contains(saved, rules.JumpComment) {
		t.Errorf("cleanup left rules behind:\n%s", saved)
	}
	if !strings.Contains(run("iptables-save", "-t", "filter"), "203.0.113.0/24") {
		t.Error("cleanup removed another component's rule")
	}
	if sets := run("ipset", "list", "-n"); strings.Contains(sets, rules.Prefix) {
		t.Errorf("cleanup left sets behind: %s", sets)
	}
	if err := dp.Cleanup(ctx); err != nil {
		t.Fatalf("second cleanup: %v", err)
	}
}

func isTopLevel(chain string) bool {
	switch chain {
	case rules.ChainForward, rules.ChainInput, rules.ChainIngress, rules.ChainEgress:
		return true
	}
	return false
}
