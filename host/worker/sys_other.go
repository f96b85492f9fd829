//go:build !linux

package worker

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

func socketpair() ([2]int, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err == nil {
		unix.CloseOnExec(fds[0])
		unix.CloseOnExec(fds[1])
	}
	return fds, err
}

// sysProcAttr: no parent-death signal outside Linux; the worker exits
// when its pipe closes.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func setAddressSpaceLimit(bytes uint64) error {
	return unix.Setrlimit(unix.RLIMIT_AS, &unix.Rlimit{Cur: bytes, Max: bytes})
}

type cgroup struct{}

func newCgroup(int) (*cgroup, error)        { return nil, errors.New("cgroups are Linux only") }
func (*cgroup) attach(*syscall.SysProcAttr) {}
func (*cgroup) oomKilled() bool             { return false }
func (*cgroup) remove()                     {}
