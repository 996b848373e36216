package sandbox

import "golang.org/x/sys/unix"

// killTree sends SIGKILL to the program's process group and then to every descendant of the
// runner found in /proc, parents before their children. A process that setsid()s or
// double-forks leaves the group but not the runner's subtree: the runner is a child
// subreaper, so orphans are re-parented to it instead of to init. Killing a parent before
// listing its children means it can no longer reap a listed child (which would free that
// pid for reuse) before the child is signalled. Called repeatedly until nothing is left.
func killTree(root, pgid int) {
	_ = unix.Kill(-pgid, unix.SIGKILL)
	queue := childrenOf(root)
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		_ = unix.Kill(pid, unix.SIGKILL)
		queue = append(queue, childrenOf(pid)...)
	}
}
