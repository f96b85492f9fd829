package ui

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
)

// consoleIn is a message from the page to a console.
//
//	{"type":"open","dir":"send+recv","token":"..."}   first: open the data link
//	{"type":"send","text":"(get ^key \"a\")","format":"gene"|"json"}
//	{"type":"end"}                                    end the client's direction
type consoleIn struct {
	Type   string `json:"type"`
	Dir    string `json:"dir"`
	Token  string `json:"token"`
	Text   string `json:"text"`
	Format string `json:"format"`
}

// consoleOut is a message from a console to the page: "open" (with the
// link id), "sent" and "recv" (the value as Gene text and JSON view),
// "error" (input that did not parse, a send that failed: the link goes
// on) and "closed" (the link ended, with why). At is the time in Unix
// milliseconds.
type consoleOut struct {
	Type  string `json:"type"`
	At    int64  `json:"at"`
	Link  uint32 `json:"link,omitempty"`
	Gene  string `json:"gene,omitempty"`
	JSON  any    `json:"json,omitempty"`
	Error string `json:"error,omitempty"`
	Code  string `json:"code,omitempty"`
}

// maxConsoleMessage bounds a message from the page.
const maxConsoleMessage = 1 << 20

// apiLink serves the try-it console: a WebSocket bridged to one data link
// on the interface.
func (s *Server) apiLink(w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, nil) // same-origin pages only
	if err != nil {
		return // Accept wrote the HTTP error
	}
	s.wg.Add(1)
	defer s.wg.Done()
	defer ws.CloseNow()
	ws.SetReadLimit(maxConsoleMessage)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel) // the explorer closing ends the console
	defer stop()

	write := func(m consoleOut) error {
		m.At = time.Now().UnixMilli()
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
		defer wcancel()
		return ws.Write(wctx, websocket.MessageText, b)
	}
	read := func() (consoleIn, error) {
		var in consoleIn
		_, b, err := ws.Read(ctx)
		if err != nil {
			return in, err
		}
		if err := json.Unmarshal(b, &in); err != nil {
			return in, errors.New("not a console message: " + err.Error())
		}
		return in, nil
	}

	in, err := read()
	if err != nil || in.Type != "open" {
		_ = ws.Close(websocket.StatusPolicyViolation, "the first message must be {\"type\":\"open\"}")
		return
	}
	dir := proto.DirSendRecv
	if in.Dir != "" {
		if dir, err = proto.ParseDirection(in.Dir); err != nil {
			_ = write(consoleOut{Type: "closed", Error: err.Error()})
			return
		}
	}
	l, err := s.open(ctx, r.PathValue("name"), dir, in.Token)
	if err != nil {
		ae := toAPIError(err)
		_ = write(consoleOut{Type: "closed", Error: ae.Message, Code: ae.Code})
		_ = ws.Close(websocket.StatusNormalClosure, "")
		return
	}
	defer func() {
		cctx, ccancel := context.WithTimeout(context.Background(), time.Second)
		defer ccancel()
		_ = l.Close(cctx)
	}()
	if err := write(consoleOut{Type: "open", Link: l.ID()}); err != nil {
		return
	}

	// What arrives on the link goes to the page until the link ends.
	recvDone := make(chan struct{})
	go func() {
		defer close(recvDone)
		defer cancel()
		for {
			v, err := l.Recv(ctx)
			if err != nil {
				if ctx.Err() == nil {
					out := consoleOut{Type: "closed"}
					if !errors.Is(err, io.EOF) {
						ae := toAPIError(err)
						out.Error, out.Code = ae.Message, ae.Code
					}
					_ = write(out)
				}
				return
			}
			if write(consoleOut{Type: "recv", Gene: gene.Format(v), JSON: host.JSONView(v)}) != nil {
				return
			}
		}
	}()
	defer func() { <-recvDone }()
	defer cancel()

	for {
		in, err := read()
		if err != nil {
			if ctx.Err() != nil || websocket.CloseStatus(err) != -1 {
				return
			}
			_ = write(consoleOut{Type: "error", Error: err.Error()})
			return
		}
		switch in.Type {
		case "send":
			v, err := ParseInput(in.Text, in.Format)
			if err != nil {
				if write(consoleOut{Type: "error", Error: err.Error(), Code: "BAD_INPUT"}) != nil {
					return
				}
				continue
			}
			// "sent" goes to the page first, so that it never shows a
			// reply before the value it answers.
			if write(consoleOut{Type: "sent", Gene: gene.Format(v), JSON: host.JSONView(v)}) != nil {
				return
			}
			sctx, scancel := context.WithTimeout(ctx, s.cfg.Timeout)
			err = l.Send(sctx, v)
			scancel()
			if err != nil && write(consoleOut{Type: "error", Error: "send: " + err.Error()}) != nil {
				return
			}
		case "end":
			if err := l.CloseSend(ctx); err != nil {
				_ = write(consoleOut{Type: "error", Error: "end: " + err.Error()})
			}
		default:
			_ = write(consoleOut{Type: "error", Error: "unknown console message type " + in.Type})
		}
	}
}

// open opens a data link on iface for a console.
func (s *Server) open(ctx context.Context, iface string, dir proto.Direction, token string) (*client.Link, error) {
	octx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	c, err := s.connection(octx)
	if err != nil {
		return nil, err
	}
	return c.Open(octx, iface, dir, linkOptions(token))
}
