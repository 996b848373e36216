// netpol-enforcer enforces Kubernetes NetworkPolicy (networking.k8s.io/v1, IPv4) for the pods of
// one node with iptables and ipset. It runs on the host as root, outside the cluster.
//
//	netpol-enforcer --kubeconfig FILE --node-name NODE --pod-cidr 10.244.0.0/24
//	netpol-enforcer --cleanup
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"coderun.dev/hack/netpol-enforcer/internal/dataplane"
	"coderun.dev/hack/netpol-enforcer/internal/watch"
)

func main() {
	log.SetFlags(log.LstdFlags | log.LUTC)
	log.SetPrefix("netpol-enforcer: ")
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of a user allowed to get/list/watch pods, namespaces, networkpolicies")
	nodeName := flag.String("node-name", "", "name of the Node this enforcer runs on; only its pods are isolated here")
	podCIDR := flag.String("pod-cidr", "", "IPv4 CIDR of this node's pods, e.g. 10.244.0.0/24")
	cleanup := flag.Bool("cleanup", false, "remove every chain, rule and ipset of this program, then exit")
	resync := flag.Duration("resync", 30*time.Second, "periodic full sync interval")
	flag.Parse()

	dp := dataplane.Dataplane{Run: dataplane.Exec}
	if *cleanup {
		if err := dp.Cleanup(context.Background()); err != nil {
			log.Fatalf("cleanup: %v", err)
		}
		return
	}

	cidr, err := parseArgs(*kubeconfig, *nodeName, *podCIDR)
	if err != nil {
		fmt.Fprintf(os.Stderr, "netpol-enforcer: %v\n", err)
		flag.Usage()
		os.Exit(2)
	}
	restCfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		log.Fatalf("kubeconfig %s: %v", *kubeconfig, err)
	}
	client, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		log.Fatalf("client: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	log.Printf("enforcing NetworkPolicy for node %s, pods %s (IPv4; TCP, UDP, SCTP; numeric, range and named ports)", *nodeName, cidr)
	runErr := watch.Run(ctx, client, dp, watch.Config{
		NodeName: *nodeName, PodCIDR: cidr,
		Debounce: 100 * time.Millisecond, Resync: *resync, Retry: 2 * time.Second,
	})
	if runErr != nil && ctx.Err() == nil {
		log.Printf("stopping: %v", runErr)
	}
	// Leave no rules behind: stale isolation after the enforcer is gone would be invisible.
	if err := dp.Cleanup(context.Background()); err != nil {
		log.Fatalf("cleanup on exit: %v", err)
	}
	if runErr != nil && ctx.Err() == nil {
		os.Exit(1)
	}
	log.Printf("stopped, rules removed")
}

func parseArgs(kubeconfig, nodeName, podCIDR string) (netip.Prefix, error) {
	if kubeconfig == "" || nodeName == "" || podCIDR == "" {
		return netip.Prefix{}, fmt.Errorf("--kubeconfig, --node-name and --pod-cidr are all required (or --cleanup alone)")
	}
	cidr, err := netip.ParsePrefix(podCIDR)
	if err != nil || !cidr.Addr().Is4() || cidr.Masked() != cidr {
		return netip.Prefix{}, fmt.Errorf("--pod-cidr %q: want an IPv4 network such as 10.244.0.0/24", podCIDR)
	}
	return cidr, nil
}
