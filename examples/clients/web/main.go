// Command web is an HTTP client of the web plugin, through genehost's HTTP
// gateway (genehost serve --http 127.0.0.1:8080). It uses nothing of
// genehost: plain net/http against the notes API that the plugin's
// handler.js serves.
//
//	web post TEXT      add a note
//	web list           list the notes
//	web delete ID      delete a note
//
// Each HTTP request reaches the plugin as one Gene value,
// (request ^id N ^method "POST" ^path "/api/notes" ^headers {...} ^body "..."),
// on a link of the interface "web", and the plugin's
// (response ^id N ^status 201 ^headers {...} ^body "...") becomes the HTTP
// response. With -gene, list asks for the notes as Gene text
// (Accept: application/gene) and prints them as they came.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const usage = `Usage: web [flags] COMMAND ARGS

Commands:
  post TEXT    add a note
  list         list the notes
  delete ID    delete the note ID

Flags:
`

var errUsage = errors.New("bad usage")

// note is a note as the API shows it in JSON.
type note struct {
	ID   int64  `json:"id"`
	Text string `json:"text"`
}

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "the HTTP gateway of 'genehost serve --http'")
	asGene := flag.Bool("gene", false, "list: ask for Gene text instead of JSON and print it")
	timeout := flag.Duration("timeout", 10*time.Second, "how long each HTTP request may take")
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), usage)
		flag.PrintDefaults()
	}
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	w := &web{base: strings.TrimRight(*base, "/"), http: &http.Client{Timeout: *timeout}}
	err := w.run(ctx, flag.Args(), *asGene)
	switch {
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, "web:", err)
		flag.Usage()
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "web:", err)
		os.Exit(1)
	}
}

type web struct {
	base string
	http *http.Client
}

func (w *web) run(ctx context.Context, args []string, asGene bool) error {
	switch {
	case len(args) == 2 && args[0] == "post":
		var n note
		body, _ := json.Marshal(map[string]string{"text": args[1]})
		if err := w.do(ctx, http.MethodPost, "/api/notes", body, http.StatusCreated, &n); err != nil {
			return err
		}
		fmt.Printf("added #%d %s\n", n.ID, n.Text)
	case len(args) == 1 && args[0] == "list":
		if asGene {
			return w.listGene(ctx)
		}
		var notes []note
		if err := w.do(ctx, http.MethodGet, "/api/notes", nil, http.StatusOK, &notes); err != nil {
			return err
		}
		for _, n := range notes {
			fmt.Printf("#%d %s\n", n.ID, n.Text)
		}
	case len(args) == 2 && args[0] == "delete":
		id, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil {
			return fmt.Errorf("%w: ID %q is not a number", errUsage, args[1])
		}
		if err := w.do(ctx, http.MethodDelete, "/api/notes/"+strconv.FormatInt(id, 10), nil, http.StatusNoContent, nil); err != nil {
			return err
		}
		fmt.Printf("deleted #%d\n", id)
	default:
		return fmt.Errorf("%w: want post TEXT, list or delete ID", errUsage)
	}
	return nil
}

// do sends a request with a JSON body (when body is not nil), requires
// status want, and decodes a JSON answer into out (when not nil).
func (w *web) do(ctx context.Context, method, path string, body []byte, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, w.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := w.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: the answer is not the JSON expected: %w", method, path, err)
	}
	return nil
}

// listGene prints the notes as the handler wrote them in Gene text.
func (w *web) listGene(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.base+"/api/notes", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/gene")
	resp, err := w.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /api/notes: %s", resp.Status)
	}
	_, err = io.Copy(os.Stdout, resp.Body)
	return err
}
