// Package watch keeps the dataplane in step with the API server: informers feed a single
// debounced sync loop that recomputes the whole rule set and applies it.
package watch

import (
	"context"
	"fmt"
	"log"
	"net/netip"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"coderun.dev/hack/netpol-enforcer/internal/dataplane"
	"coderun.dev/hack/netpol-enforcer/internal/rules"
)

// Config says where the enforcer runs and how often it re-checks.
type Config struct {
	NodeName string
	PodCIDR  netip.Prefix
	Debounce time.Duration // quiet time after a change before syncing; bursts collapse into one sync
	Resync   time.Duration // periodic sync even without changes, repairs rules others removed
	Retry    time.Duration // wait after a failed sync
}

// Run syncs until ctx ends. It returns an error only if the caches never fill.
func Run(ctx context.Context, client kubernetes.Interface, dp dataplane.Dataplane, cfg Config) error {
	factory := informers.NewSharedInformerFactory(client, 0)
	pods := factory.Core().V1().Pods()
	namespaces := factory.Core().V1().Namespaces()
	policies := factory.Networking().V1().NetworkPolicies()

	changed := make(chan struct{}, 1)
	notify := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { notify() },
		UpdateFunc: func(any, any) { notify() },
		DeleteFunc: func(any) { notify() },
	}
	for _, inf := range []cache.SharedIndexInformer{pods.Informer(), namespaces.Informer(), policies.Informer()} {
		if _, err := inf.AddEventHandler(handler); err != nil {
			return err
		}
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("cache for %v did not sync", typ)
		}
	}

	var lastWarnings string
	sync := func() error {
		in := rules.Input{NodeName: cfg.NodeName, PodCIDR: cfg.PodCIDR}
		var err error
		if in.Pods, err = pods.Lister().List(labels.Everything()); err != nil {
			return err
		}
		if in.Namespaces, err = namespaces.Lister().List(labels.Everything()); err != nil {
			return err
		}
		if in.Policies, err = policies.Lister().List(labels.Everything()); err != nil {
			return err
		}
		rs := rules.Compute(in)
		// Warnings repeat on every sync while the policy stands; say them once per change.
		if w := strings.Join(rs.Warnings, "\n"); w != lastWarnings {
			lastWarnings = w
			for _, line := range rs.Warnings {
				log.Printf("not enforced: %s", line)
			}
		}
		start := time.Now()
		left, err := dp.Apply(ctx, rs)
		if err != nil {
			return err
		}
		if len(left) > 0 {
			log.Printf("stale ipsets still in use, retrying next sync: %s", strings.Join(left, " "))
		}
		log.Printf("synced: %d policies, %d pods, %d chains, %d sets in %s",
			len(in.Policies), len(in.Pods), len(rs.Chains), len(rs.Sets), time.Since(start).Round(time.Millisecond))
		return nil
	}

	resync := time.NewTicker(cfg.Resync)
	defer resync.Stop()
	notify()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-resync.C:
		case <-changed:
			if !sleep(ctx, cfg.Debounce) {
				return nil
			}
			// Changes that arrived while waiting are covered by this sync.
			select {
			case <-changed:
			default:
			}
		}
		if err := sync(); err != nil {
			log.Printf("sync failed, retrying in %s: %v", cfg.Retry, err)
			go func() {
				if sleep(ctx, cfg.Retry) {
					notify()
				}
			}()
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
