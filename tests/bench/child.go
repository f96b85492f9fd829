package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The memory scenarios run the server in a child process (this program
// with -child KIND -sock PATH) so that only the server side is measured.
// The child serves on the socket, prints "ready", then answers commands
// read line by line from its standard input:
//
//	mem      collect garbage, answer "HEAP STACK LINKS": live heap bytes
//	         (HeapAlloc after GC), stack bytes (StackInuse) and the
//	         number of links (or streams) the server holds open
//	sample   start sampling mem every 20ms
//	peak     stop sampling, answer the highest HEAP+STACK seen
//	heap F   write a heap profile (after GC) to file F, answer "ok"
//
// It exits when its standard input closes.

// childServer is what a child serves: it returns how many links it holds
// and a function that stops it.
type childServer func(sock string) (links func() int64, stop func() error, err error)

// childServers are the kinds a child can run; the genehost kinds add
// themselves in genehost.go.
var childServers = map[string]childServer{
	"grpc": func(sock string) (func() int64, func() error, error) {
		p, err := startGRPCAt(sock, grpcRaw)
		if err != nil {
			return nil, nil, err
		}
		return p.srvImpl.open.Load, p.Close, nil
	},
}

func runChild(kind, sock string) error {
	serve, ok := childServers[kind]
	if !ok {
		return fmt.Errorf("unknown child kind %q", kind)
	}
	links, stop, err := serve(sock)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Println("ready")

	var (
		sampling  sync.WaitGroup
		stopPeak  chan struct{}
		peakBytes atomic.Int64
	)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		cmd := in.Text()
		if f, ok := strings.CutPrefix(cmd, "heap "); ok {
			if err := writeHeapProfile(f); err != nil {
				return err
			}
			fmt.Println("ok")
			continue
		}
		switch cmd {
		case "mem":
			heap, stack := liveMemory()
			fmt.Printf("%d %d %d\n", heap, stack, links())
		case "sample":
			peakBytes.Store(0)
			stopPeak = make(chan struct{})
			sampling.Go(func() {
				t := time.NewTicker(20 * time.Millisecond)
				defer t.Stop()
				for {
					heap, stack := liveMemory()
					if n := heap + stack; n > peakBytes.Load() {
						peakBytes.Store(n)
					}
					select {
					case <-stopPeak:
						return
					case <-t.C:
					}
				}
			})
		case "peak":
			if stopPeak != nil {
				close(stopPeak)
				sampling.Wait()
				stopPeak = nil
			}
			fmt.Println(peakBytes.Load())
		default:
			return fmt.Errorf("unknown command %q", cmd)
		}
	}
	if stopPeak != nil {
		close(stopPeak)
		sampling.Wait()
	}
	return in.Err()
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// liveMemory collects garbage and returns the live heap and the stacks.
func liveMemory() (heap, stack int64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc), int64(ms.StackInuse)
}

// child is the parent's handle on a child server process.
type child struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Scanner
	sock string
}

// memSample is one answer to "mem".
type memSample struct {
	heap, stack, links int64
}

func (m memSample) total() int64 { return m.heap + m.stack }

// startChild runs this program as a child serving kind on a new socket
// in b.dir, and waits until it is ready.
func startChild(ctx context.Context, b *bench, kind string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("child: %w", err)
	}
	sock := filepath.Join(b.dir, "child-"+strings.ReplaceAll(kind, "/", "-")+".sock")
	cmd := exec.CommandContext(ctx, exe, "-child", kind, "-sock", sock)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("child: %w", err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("child: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("child %s: %w", kind, err)
	}
	c := &child{cmd: cmd, in: in, out: bufio.NewScanner(outPipe), sock: sock}
	line, err := c.readLine()
	if err != nil || line != "ready" {
		c.Close()
		return nil, fmt.Errorf("child %s did not start: %q %v", kind, line, err)
	}
	return c, nil
}

func (c *child) readLine() (string, error) {
	if !c.out.Scan() {
		if err := c.out.Err(); err != nil {
			return "", err
		}
		return "", io.ErrUnexpectedEOF
	}
	return c.out.Text(), nil
}

func (c *child) ask(cmd string) (string, error) {
	if _, err := fmt.Fprintln(c.in, cmd); err != nil {
		return "", fmt.Errorf("child %s: %w", cmd, err)
	}
	line, err := c.readLine()
	if err != nil {
		return "", fmt.Errorf("child %s: %w", cmd, err)
	}
	return line, nil
}

// mem asks for the child's live memory and link count.
func (c *child) mem() (memSample, error) {
	line, err := c.ask("mem")
	if err != nil {
		return memSample{}, err
	}
	var m memSample
	if _, err := fmt.Sscanf(line, "%d %d %d", &m.heap, &m.stack, &m.links); err != nil {
		return memSample{}, fmt.Errorf("child mem answer %q: %w", line, err)
	}
	return m, nil
}

// waitLinks polls until the child holds n links, then returns its memory.
func (c *child) waitLinks(ctx context.Context, n int64) (memSample, error) {
	deadline := time.Now().Add(60 * time.Second)
	for {
		m, err := c.mem()
		if err != nil || m.links == n {
			return m, err
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return m, fmt.Errorf("child holds %d links, want %d", m.links, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *child) startSampling() error {
	_, err := fmt.Fprintln(c.in, "sample")
	return err
}

// peak stops sampling and returns the highest heap+stack seen.
func (c *child) peak() (int64, error) {
	line, err := c.ask("peak")
	if err != nil {
		return 0, err
	}
	var n int64
	if _, err := fmt.Sscanf(line, "%d", &n); err != nil {
		return 0, fmt.Errorf("child peak answer %q: %w", line, err)
	}
	return n, nil
}

// heapProfile asks the child for a heap profile in the -memprofile
// directory, named name, when that flag is set.
func (c *child) heapProfile(b *bench, name string) error {
	if b.cfg.memprofile == "" {
		return nil
	}
	path, err := filepath.Abs(filepath.Join(b.cfg.memprofile, name))
	if err != nil {
		return err
	}
	if line, err := c.ask("heap " + path); err != nil || line != "ok" {
		return fmt.Errorf("child heap profile: %q %v", line, err)
	}
	b.logf("  heap profile of the host written to %s", path)
	return nil
}

// Close ends the child and waits for it.
func (c *child) Close() error {
	c.in.Close()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("child: %w", err)
		}
		return err
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
		return fmt.Errorf("child did not exit within 10s; killed")
	}
}
