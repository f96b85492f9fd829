package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/client"
)

func init() {
	commands["watch"] = command{summary: "print the events a host pushes (loads, reloads, failures) as they happen", run: runWatch}
}

func runWatch(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{name: "watch", stdin: stdin, stdout: stdout, stderr: stderr}
	fs := c.newFlags("watch [flags] [ADDR] [IFACE...]", `
Open control links and print every event the host pushes on them, one
value per line as it arrives, until interrupted (Ctrl-C or SIGTERM: exit 0)
or --count events were printed.

Without IFACE, one control link on $sys: it gets the events of every
interface and of plugins that have no interface any more, so it follows
the whole host. With IFACE names, a control link on each (a plugin that
failed to load has one too), printing the events about those interfaces.
Events are (event ^type T ^interface NAME ...) with T one of:
  loaded         a plugin with no serving version loaded (^generation ^version)
  load-failed    a plugin with no serving version failed to load (^error)
  reloaded       a changed plugin loaded (^generation)
  reload-failed  a changed plugin failed to load; the last good one serves (^error)
  failed         the plugin cannot make instances; new links are refused (^reason)
  removed        the plugin folder is gone ($sys only)
  draining       the host is shutting down
(PROTOCOL.md appendix A.4). Once every link is open, "watching ..." is
written on standard error. When the host shuts down or closes the
connection, or every watched interface goes away, the command exits 1.

On $sys, the events about an interface 'genehost serve --token' protects
come only with its token (--token).

`+addrHelp+"\n"+metaHelp+tlsHelp, `
  genehost watch -
  genehost watch - kv queue --format pretty
  genehost watch tcp://127.0.0.1:7470 --count 1   # wait for the next event`)
	count := fs.Int("count", 0, "exit 0 after printing this many events; 0: until interrupted")
	timeout := fs.Duration("timeout", 0, "give up (exit 3) after this long; 0: no limit")
	format := addFormatFlag(fs)
	cf := addClientFlags(fs)
	a, code, ok := cf.parse(c, fs, args, 0, -1, "[ADDR] [IFACE...]")
	if !ok {
		return code
	}
	t, md, ifaces := a.target, a.meta, a.pos
	if *count < 0 {
		return c.usageErr("--count must not be negative")
	}
	if _, err := outputFormat(*format, false); err != nil {
		return c.usageErr("%v", err)
	}
	if len(ifaces) == 0 {
		ifaces = []string{host.SysInterface}
	}
	ctx, conn, done, err := connect(*timeout, t)
	if err != nil {
		return c.fail(err)
	}
	defer done()
	ctls := make([]*client.Control, 0, len(ifaces))
	for _, name := range ifaces {
		ctl, err := conn.Control(ctx, name, client.LinkOptions{Meta: md})
		if err != nil {
			return c.fail(fmt.Errorf("watch %s: %w", name, err))
		}
		ctls = append(ctls, ctl)
	}
	fmt.Fprintf(stderr, "genehost watch: watching %s on %s\n", strings.Join(ifaces, " "), conn.Addr())

	err = watchEvents(ctx, ctls, conn.GoingAwayC(), *count, printer{w: stdout, format: *format}, func(iface string, err error) {
		fmt.Fprintf(stderr, "genehost watch: the control link on %s ended: %v\n", iface, err)
	})
	switch {
	case err == nil, errors.Is(err, context.Canceled):
		return exitOK // --count reached, or interrupted
	}
	return c.fail(err)
}

// watched is what one control link delivers to watchEvents: an event,
// or its end.
type watched struct {
	ev    gene.Value
	iface string
	end   bool
	err   error
}

// awayGrace is how long watchEvents goes on printing after the host sent
// GOAWAY: the draining events it sent just before arrive.
const awayGrace = 200 * time.Millisecond

// watchEvents prints the events of every control link in ctls until ctx
// ends (its error is returned), count events were printed (count > 0;
// nil is returned), every link ended or the host went away (closed when
// it sends GOAWAY; an error, shortly after). ended is told of each link
// that ends. It returns only once the goroutines it started, one per
// link, are gone.
func watchEvents(ctx context.Context, ctls []*client.Control, away <-chan struct{}, count int, p printer, ended func(iface string, err error)) error {
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		stop()
		wg.Wait()
	}()
	items := make(chan watched)
	deliver := func(w watched) bool {
		select {
		case items <- w:
			return true
		case <-wctx.Done():
			return false
		}
	}
	for _, ctl := range ctls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			iface := ctl.Link().Interface()
			for {
				select {
				case ev := <-ctl.Events():
					if !deliver(watched{ev: ev, iface: iface}) {
						return
					}
				case <-ctl.Link().Done():
					// Events that arrived before the end come first.
					for drained := false; !drained; {
						select {
						case ev := <-ctl.Events():
							if !deliver(watched{ev: ev, iface: iface}) {
								return
							}
						default:
							drained = true
						}
					}
					deliver(watched{iface: iface, end: true, err: ctl.Link().Err()})
					return
				case <-wctx.Done():
					return
				}
			}
		}()
	}
	printed, open := 0, len(ctls)
	var grace <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-away:
			away = nil
			t := time.NewTimer(awayGrace)
			defer t.Stop()
			grace = t.C
		case <-grace:
			return errors.New("the host is shutting down (GOAWAY)")
		case w := <-items:
			if w.end {
				err := w.err
				if err == nil {
					err = errors.New("closed by the host")
				}
				ended(w.iface, err)
				if open--; open == 0 {
					return fmt.Errorf("no control link left to watch (last: %s: %w)", w.iface, err)
				}
				continue
			}
			if err := p.print(w.ev); err != nil {
				return err
			}
			if printed++; count > 0 && printed >= count {
				return nil
			}
		}
	}
}
