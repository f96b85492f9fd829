package worker

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

func socketpair() ([2]int, error) {
	return unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
}

// sysProcAttr makes the worker die with the host (Pdeathsig: the kernel
// sends SIGKILL when the thread that started it exits; the worker also
// exits when its pipe closes, which covers the rest) and puts it in a
// process group of its own, so a terminal's Ctrl-C reaches the host only
// and the host decides how its workers stop.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}

func setAddressSpaceLimit(bytes uint64) error {
	return unix.Setrlimit(unix.RLIMIT_AS, &unix.Rlimit{Cur: bytes, Max: bytes})
}

// cgroup is a cgroup v2 child of the host's own cgroup with memory.max
// set, which the worker is started in (CLONE_INTO_CGROUP).
type cgroup struct {
	dir string
	fd  *os.File
}

var cgroupSeq atomic.Uint64

// newCgroup makes a cgroup for one worker with memory.max of maxMB. It
// fails where the host may not write one (no cgroup v2, no memory
// controller delegated to the host's cgroup, no permission).
func newCgroup(maxMB int) (*cgroup, error) {
	parent, err := ownCgroupDir()
	if err != nil {
		return nil, err
	}
	ctrl, err := os.ReadFile(filepath.Join(parent, "cgroup.subtree_control"))
	if err != nil {
		return nil, fmt.Errorf("cgroup %s: %w", parent, err)
	}
	if !strings.Contains(" "+strings.TrimSpace(string(ctrl))+" ", " memory ") {
		return nil, fmt.Errorf("cgroup %s: the memory controller is not enabled for its children (cgroup.subtree_control: %q)", parent, strings.TrimSpace(string(ctrl)))
	}
	dir := filepath.Join(parent, fmt.Sprintf("genehost-worker-%d-%d", os.Getpid(), cgroupSeq.Add(1)))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cgroup: %w", err)
	}
	cg := &cgroup{dir: dir}
	if err := os.WriteFile(filepath.Join(dir, "memory.max"), []byte(strconv.Itoa(maxMB<<20)), 0); err != nil {
		cg.remove()
		return nil, fmt.Errorf("cgroup: %w", err)
	}
	_ = os.WriteFile(filepath.Join(dir, "memory.swap.max"), []byte("0"), 0) // absent without swap accounting
	if cg.fd, err = os.Open(dir); err != nil {
		cg.remove()
		return nil, fmt.Errorf("cgroup: %w", err)
	}
	return cg, nil
}

func (cg *cgroup) attach(a *syscall.SysProcAttr) {
	a.UseCgroupFD = true
	a.CgroupFD = int(cg.fd.Fd())
}

// oomKilled reports whether the kernel's OOM killer ended a process of
// the cgroup.
func (cg *cgroup) oomKilled() bool {
	b, err := os.ReadFile(filepath.Join(cg.dir, "memory.events"))
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, " "); ok && k == "oom_kill" && v != "0" {
			return true
		}
	}
	return false
}

// remove deletes the cgroup once its process is gone.
func (cg *cgroup) remove() {
	if cg.fd != nil {
		cg.fd.Close()
	}
	_ = os.Remove(cg.dir) // the kernel refuses while a process is in it; nothing more to do
}

// ownCgroupDir finds the host's cgroup v2 directory.
func ownCgroupDir() (string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	var rel string
	found := false
	for _, l := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(l, "0::"); ok {
			rel, found = p, true
		}
	}
	if !found {
		return "", errors.New("no cgroup v2 hierarchy")
	}
	mnt, err := cgroup2Mount()
	if err != nil {
		return "", err
	}
	return filepath.Join(mnt, rel), nil
}

// cgroup2Mount finds where the cgroup v2 hierarchy is mounted.
func cgroup2Mount() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - FSTYPE SOURCE SUPER
		l := sc.Text()
		pre, post, ok := strings.Cut(l, " - ")
		if !ok || !strings.HasPrefix(post, "cgroup2 ") {
			continue
		}
		fields := strings.Fields(pre)
		if len(fields) >= 5 {
			return fields[4], nil
		}
	}
	return "", errors.New("cgroup2 is not mounted")
}
