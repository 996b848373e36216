package rules

import (
	"net/netip"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// podInfo is what policy evaluation needs to know about one pod that has an IPv4 address.
type podInfo struct {
	namespace string
	labels    labels.Set
	ip        netip.Addr
	local     bool // runs on this node inside its pod CIDR: policies here enforce its isolation
	pod       *corev1.Pod
}

// inventory indexes the cluster's pods and namespaces for selector matching.
type inventory struct {
	pods     []podInfo // sorted by namespace/name for deterministic output
	nsLabels map[string]labels.Set
}

func newInventory(in Input) inventory {
	inv := inventory{nsLabels: map[string]labels.Set{}}
	for _, ns := range in.Namespaces {
		inv.nsLabels[ns.Name] = labels.Set(ns.Labels)
	}
	for _, p := range in.Pods {
		ip, ok := podIPv4(p)
		if !ok {
			continue
		}
		inv.pods = append(inv.pods, podInfo{
			namespace: p.Namespace,
			labels:    labels.Set(p.Labels),
			ip:        ip,
			local:     p.Spec.NodeName == in.NodeName && in.PodCIDR.Contains(ip),
			pod:       p,
		})
	}
	sort.Slice(inv.pods, func(i, j int) bool {
		a, b := inv.pods[i].pod, inv.pods[j].pod
		return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
	})
	return inv
}

// podIPv4 returns the pod's IPv4 address if policy applies to it at all: host-network pods share
// the node's address and finished pods have released theirs, so neither is a policy subject.
func podIPv4(p *corev1.Pod) (netip.Addr, bool) {
	if p.Spec.HostNetwork || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return netip.Addr{}, false
	}
	candidates := []string{p.Status.PodIP}
	for _, ip := range p.Status.PodIPs {
		candidates = append(candidates, ip.IP)
	}
	for _, s := range candidates {
		if ip, err := netip.ParseAddr(s); err == nil && ip.Is4() {
			return ip, true
		}
	}
	return netip.Addr{}, false
}

// podsMatching returns the pods in the namespaces accepted by nsOK whose labels match sel.
func (inv inventory) podsMatching(nsOK func(string) bool, sel labels.Selector, localOnly bool) []podInfo {
	var out []podInfo
	for _, p := range inv.pods {
		if (!localOnly || p.local) && nsOK(p.namespace) && sel.Matches(p.labels) {
			out = append(out, p)
		}
	}
	return out
}

// namedPortMembers resolves a named port on the given pods to hash:ip,port entries.
func namedPortMembers(pods []podInfo, name string, proto corev1.Protocol) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range pods {
		containers := append(append([]corev1.Container{}, p.pod.Spec.InitContainers...), p.pod.Spec.Containers...)
		for _, c := range containers {
			for _, cp := range c.Ports {
				cpProto := cp.Protocol
				if cpProto == "" {
					cpProto = corev1.ProtocolTCP
				}
				if cp.Name != name || cpProto != proto {
					continue
				}
				m := p.ip.String() + "," + strings.ToLower(string(proto)) + ":" + itoa(cp.ContainerPort)
				if !seen[m] {
					seen[m] = true
					out = append(out, m)
				}
			}
		}
	}
	return out
}

func ips(pods []podInfo) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range pods {
		s := p.ip.String()
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
