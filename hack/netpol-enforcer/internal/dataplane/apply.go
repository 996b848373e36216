package dataplane

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"

	"coderun.dev/hack/netpol-enforcer/internal/rules"
)

// Runner runs one command with the given standard input and returns its standard output.
type Runner func(ctx context.Context, stdin string, name string, args ...string) (string, error)

// Exec runs commands on this host.
func Exec(ctx context.Context, stdin string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}

// Dataplane applies rule sets through iptables and ipset.
type Dataplane struct {
	Run Runner
}

// Apply makes the kernel's state match rs. Sets come first because rules refer to them; stale
// sets go last, once no rule refers to them any more. It returns the sets it could not destroy
// yet (the next Apply retries them).
func (d Dataplane) Apply(ctx context.Context, rs rules.Ruleset) (undestroyed []string, err error) {
	if _, err := d.Run(ctx, IPSetScript(rs), "ipset", "restore", "-exist"); err != nil {
		return nil, err
	}
	saved, err := d.Run(ctx, "", "iptables-save", "-t", "filter")
	if err != nil {
		return nil, err
	}
	if _, err := d.Run(ctx, IPTablesScript(rs, saved), "iptables-restore", "--noflush"); err != nil {
		return nil, err
	}
	existing, err := d.listSets(ctx)
	if err != nil {
		return nil, err
	}
	return d.destroy(ctx, StaleSets(rs, existing)), nil
}

// Cleanup removes every chain, jump and set of this program; with nothing there it succeeds.
func (d Dataplane) Cleanup(ctx context.Context) error {
	saved, err := d.Run(ctx, "", "iptables-save", "-t", "filter")
	if err != nil {
		return err
	}
	if script := CleanupScript(saved); script != "" {
		if _, err := d.Run(ctx, script, "iptables-restore", "--noflush"); err != nil {
			return err
		}
	}
	existing, err := d.listSets(ctx)
	if err != nil {
		return err
	}
	if left := d.destroy(ctx, StaleSets(rules.Ruleset{}, existing)); len(left) > 0 {
		return fmt.Errorf("ipsets still in use, not destroyed: %s", strings.Join(left, " "))
	}
	return nil
}

func (d Dataplane) listSets(ctx context.Context) ([]string, error) {
	out, err := d.Run(ctx, "", "ipset", "list", "-n")
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}

// destroy destroys sets one by one: a set a rule still refers to cannot go, the others can.
func (d Dataplane) destroy(ctx context.Context, sets []string) (left []string) {
	for _, s := range sets {
		if _, err := d.Run(ctx, "", "ipset", "destroy", s); err != nil {
			left = append(left, s)
		}
	}
	return left
}
