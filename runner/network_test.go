package main_test

import (
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ownAddress is this machine's own IPv4 address: eth0's, else the first non-loopback one.
func ownAddress(t *testing.T) string {
	t.Helper()
	ifaces, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	first := ""
	for _, iface := range ifaces {
		if iface.Flags&net.FlagUp == 0 || iface.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := iface.Addrs()
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok || ipn.IP.To4() == nil {
				continue
			}
			if iface.Name == "eth0" {
				return ipn.IP.String()
			}
			if first == "" {
				first = ipn.IP.String()
			}
		}
	}
	if first == "" {
		t.Fatal("this machine has no non-loopback IPv4 address to test against")
	}
	return first
}

// probeScript tries a TCP connection to the address and port in argv, an IPv6 socket and a
// UNIX socket pair, and prints one word for each.
const probeScript = `
import socket, sys
def attempt(f):
    try:
        f()
        return "ok"
    except PermissionError:
        return "denied"
    except OSError as e:
        return "error:" + str(e.errno)
def tcp():
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
    s.sendall(b"hi")
    s.close()
print("tcp", attempt(tcp))
print("inet6", attempt(lambda: socket.socket(socket.AF_INET6, socket.SOCK_STREAM).close()))
print("unix", attempt(lambda: [s.close() for s in socket.socketpair(socket.AF_UNIX)]))
`

func TestNetworkIsDeniedInsideTheRunnerButWorksOutside(t *testing.T) {
	addr := ownAddress(t)
	ln, err := net.Listen("tcp4", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
			accepted <- struct{}{}
		}
	}()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	// The system python: a per-user interpreter under /root is out of the sandbox uid's reach.
	argv := []string{"/usr/bin/python3", "-c", probeScript, addr, port}

	// Outside the runner, as the same user, the connection works.
	outside := exec.Command(argv[0], argv[1:]...)
	asSandboxUser(outside)
	out, err := outside.CombinedOutput()
	if err != nil {
		t.Fatalf("probe outside the runner: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "tcp ok") {
		t.Fatalf("outside the runner the connection to %s:%s should work, got:\n%s", addr, port, out)
	}
	select {
	case <-accepted:
	case <-time.After(3 * time.Second):
		t.Fatal("the listener never saw the connection made outside the runner")
	}

	r := onlyTest(t, argv, "", defaultLimits().with("wallTimeMillis", 10000))
	want := "tcp denied\ninet6 denied\nunix ok\n"
	if r.Stdout != want {
		t.Fatalf("inside the runner got:\n%s\nwant:\n%s\nstderr: %s", r.Stdout, want, r.Stderr)
	}
	select {
	case <-accepted:
		t.Fatal("a connection from inside the runner reached the listener")
	case <-time.After(200 * time.Millisecond):
	}
}
