// Command loadgen is the load generator of the end-to-end limit tests
// (tests/limits_test.go): one process that opens connections and links to
// a genehost host past its global limits, fills the transport windows of
// a few paused links, keeps some echo round trips going, and prints what
// it got as one JSON object on standard output (after a line "ready"
// once the load is in place): how many connections and
// links opened, and the refusals by code with an example text each.
//
// Its phases, each ended by the first refusal or its count:
//
//  1. -link-conns connections, each with a control link on echo, then up
//     to -links echo links on each: past the host's --max-links.
//  2. more connections, up to -conns in all: past --max-conns.
//  3. on the first -pause connections, the host is asked to pause one
//     link, which is then sent -value-bytes values until its credit runs
//     out: the transport windows fill.
//  4. -reopen links are closed and as many opened again: refused while
//     the host sheds load.
//  5. a line "ready" on standard output, then round trips on the open
//     links until -hold has passed; then everything closes.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
)

// Report is what loadgen prints.
type Report struct {
	Conns      int            `json:"conns"`
	Links      int            `json:"links"`
	Filled     int64          `json:"filled_bytes"`
	RoundTrips int            `json:"round_trips"`
	Refused    map[string]int `json:"refused"` // by code name, "OTHER" for errors without a code
	Examples   map[string]string
	Errors     []string `json:"errors"` // round trips that failed
}

func main() {
	addr := flag.String("addr", "", "the host's address")
	linkConns := flag.Int("link-conns", 3, "connections that open many links")
	links := flag.Int("links", 100, "links to try on each of -link-conns")
	conns := flag.Int("conns", 40, "connections to try in all")
	pause := flag.Int("pause", 2, "connections whose first link is paused and filled")
	valueBytes := flag.Int("value-bytes", 32<<10, "size of the values that fill paused links")
	reopen := flag.Int("reopen", 5, "links closed and opened again while the windows are full")
	hold := flag.Duration("hold", 5*time.Second, "how long the load lasts once in place")
	flag.Parse()
	r, err := run(*addr, *linkConns, *links, *conns, *pause, *valueBytes, *reopen, *hold)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

type conn struct {
	c     *client.Conn
	ctl   *client.Control
	links []*client.Link
}

func run(addr string, linkConns, links, conns, pause, valueBytes, reopen int, hold time.Duration) (*Report, error) {
	ctx, cancel := context.WithTimeout(context.Background(), hold+60*time.Second)
	defer cancel()
	r := &Report{Refused: map[string]int{}, Examples: map[string]string{}}
	refused := func(err error) {
		code := "OTHER"
		var pe *proto.Error
		if errors.As(err, &pe) {
			code = pe.Code.String()
		}
		r.Refused[code]++
		if _, ok := r.Examples[code]; !ok {
			r.Examples[code] = err.Error()
		}
	}
	var cs []*conn
	defer func() {
		for _, c := range cs {
			c.c.Close()
		}
	}()
	dial := func() *conn {
		dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
		defer dcancel()
		c, err := client.Dial(dctx, addr, client.Config{})
		if err != nil {
			refused(err)
			return nil
		}
		r.Conns++
		cc := &conn{c: c}
		cs = append(cs, cc)
		return cc
	}
	open := func(c *conn) bool {
		l, err := c.c.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
		if err != nil {
			refused(err)
			return false
		}
		r.Links++
		c.links = append(c.links, l)
		return true
	}
	// 1. Many links on a few connections.
	for range linkConns {
		c := dial()
		if c == nil {
			break
		}
		ctl, err := c.c.Control(ctx, "echo", client.LinkOptions{})
		if err != nil {
			refused(err)
			continue
		}
		c.ctl = ctl
		for range links {
			if !open(c) {
				break
			}
		}
	}
	// 2. More connections, each with a control link.
	for len(cs) < conns {
		c := dial()
		if c == nil {
			break
		}
		if ctl, err := c.c.Control(ctx, "echo", client.LinkOptions{}); err == nil {
			c.ctl = ctl
		} else {
			refused(err)
		}
	}
	// 3. Paused links filled up to their credit.
	value := gene.String(strings.Repeat("x", valueBytes))
	paused := map[*client.Link]bool{}
	for _, c := range cs {
		if len(paused) >= pause {
			break
		}
		if c.ctl == nil || len(c.links) == 0 {
			continue
		}
		l := c.links[0]
		if err := c.ctl.Pause(ctx, l); err != nil {
			r.Errors = append(r.Errors, fmt.Sprintf("pause: %v", err))
			continue
		}
		paused[l] = true
		for {
			err := l.TrySend(value)
			if errors.Is(err, client.ErrNoCredit) {
				// The link's or the transport's credit is used up; wait a
				// little in case a grant is on its way, then stop.
				wctx, wcancel := context.WithTimeout(ctx, 200*time.Millisecond)
				err = l.Send(wctx, value)
				wcancel()
				if err != nil {
					break
				}
			} else if err != nil {
				r.Errors = append(r.Errors, fmt.Sprintf("fill: %v", err))
				break
			}
			r.Filled += int64(valueBytes)
		}
	}
	// 4. Close a few links and open as many again.
	closed := 0
	for _, c := range cs {
		for len(c.links) > 1 && closed < reopen {
			l := c.links[len(c.links)-1]
			if paused[l] {
				break
			}
			c.links = c.links[:len(c.links)-1]
			_ = l.CloseSend(ctx)
			select {
			case <-l.Done():
			case <-time.After(5 * time.Second):
			}
			r.Links--
			closed++
		}
	}
	for _, c := range cs {
		if closed == 0 {
			break
		}
		if len(c.links) > 0 {
			for ; closed > 0; closed-- {
				open(c)
			}
		}
	}
	// 5. Round trips on the open links until the end.
	fmt.Println("ready")
	end := time.Now().Add(hold)
	var rts []*client.Link
	for _, c := range cs {
		for _, l := range c.links {
			if !paused[l] {
				rts = append(rts, l)
			}
		}
	}
	for i := 0; time.Now().Before(end) && len(rts) > 0; i++ {
		l := rts[i%len(rts)]
		v := gene.MustParse(fmt.Sprintf(`(load ^n %d)`, i))
		tctx, tcancel := context.WithTimeout(ctx, 10*time.Second)
		err := l.Send(tctx, v)
		var got gene.Value
		if err == nil {
			got, err = l.Recv(tctx)
		}
		tcancel()
		if err == nil && !gene.Equal(v, got) {
			err = fmt.Errorf("sent %s, got %s", v, got)
		}
		if err != nil {
			r.Errors = append(r.Errors, fmt.Sprintf("round trip: %v", err))
			break
		}
		r.RoundTrips++
		time.Sleep(20 * time.Millisecond)
	}
	if d := time.Until(end); d > 0 {
		time.Sleep(d)
	}
	return r, nil
}
