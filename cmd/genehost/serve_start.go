package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/genehost/genehost/host"
)

// What serve says while it starts: which listeners it opens by default,
// how loading the plugins goes, and what to try once it serves.

// defaultListeners completes the --listen flags: none means the default
// Unix socket and tcp://127.0.0.1:DefaultTCPPort; otherwise the default
// Unix socket is added unless one of them is a Unix socket or noUnix is
// set, so that "-" keeps finding a host whose TCP address moved. That
// added socket is returned as extra: serve goes on without it when it
// cannot listen there (another genehost holds it). The directory of the
// default socket is created (mode 0700) when used.
func defaultListeners(listens []string, noUnix bool) (all []string, extra string, err error) {
	if len(listens) == 0 && noUnix {
		return []string{fmt.Sprintf("tcp://127.0.0.1:%d", DefaultTCPPort)}, "", nil
	}
	if noUnix || slices.ContainsFunc(listens, isUnixListen) {
		return listens, "", nil
	}
	sock := "unix://" + DefaultSocket()
	if err := os.MkdirAll(filepath.Dir(DefaultSocket()), 0o700); err != nil {
		return nil, "", fmt.Errorf("socket directory: %w", err)
	}
	if len(listens) == 0 {
		return []string{sock, fmt.Sprintf("tcp://127.0.0.1:%d", DefaultTCPPort)}, "", nil
	}
	return append([]string{sock}, listens...), sock, nil
}

// isUnixListen reports whether a --listen value names a Unix socket.
func isUnixListen(a string) bool {
	r, err := resolveAddr(a)
	return err == nil && strings.HasPrefix(r, "unix://")
}

// Progress of the first load: a line after progressFirst, then one every
// progressEvery, until the plugins are loaded.
const (
	progressFirst = 2 * time.Second
	progressEvery = 10 * time.Second
)

// reportLoading logs that the plugins of dir are loading and, while they
// are, which have loaded and which are still awaited; the returned func
// stops it (and waits for its goroutine).
func reportLoading(log hclog.Logger, dir, cache string, srv *host.Server) (stop func()) {
	log.Info("loading plugins", "dir", dir)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		start := time.Now()
		t := time.NewTimer(progressFirst)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			loaded := srv.Interfaces()
			var waiting []string
			folders, _ := pluginFolders(dir) // none: nothing to wait for
			for _, f := range folders {
				if name := filepath.Base(f); !slices.Contains(loaded, name) {
					waiting = append(waiting, name)
				}
			}
			log.Info("still loading plugins (a Go plugin is compiled to WebAssembly on its first start, about a minute, then cached)",
				"elapsed", time.Since(start).Round(time.Second).String(),
				"loaded", strings.Join(loaded, " "), "waiting", strings.Join(waiting, " "), "cache", cache)
			t.Reset(progressEvery)
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// printTryHint tells a person at the terminal what to run next: a call
// of echo when it is served, the list of interfaces otherwise, on the
// address a client reaches most simply.
func printTryHint(w io.Writer, addrs []string, srv *host.Server) {
	if len(addrs) == 0 {
		return
	}
	addr := addrs[0]
	for _, a := range addrs {
		if a == "unix://"+DefaultSocket() {
			addr = "-"
		}
	}
	addr = shellQuote(addr)
	if slices.Contains(srv.Interfaces(), "echo") {
		fmt.Fprintf(w, "genehost: serving; try: genehost call %s echo '(hello ^to \"world\")'   (genehost ls %s lists the interfaces; Ctrl-C stops)\n", addr, addr)
		return
	}
	fmt.Fprintf(w, "genehost: serving; try: genehost ls %s   (lists the interfaces; Ctrl-C stops)\n", addr)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if !strings.ContainsAny(s, " '\"$\\;&|<>*?()[]{}`!#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
