package wasmrt

import "bytes"

// maxLogLine bounds a line kept while waiting for its newline; a longer
// one is logged in pieces.
const maxLogLine = 4096

// lineWriter is a guest's stdout or stderr: it logs each line through the
// instance's Host. Guests write from inside a call (WASI fd_write runs on
// the caller's goroutine), so it needs no lock.
type lineWriter struct {
	in       *instance
	level    string
	isStderr bool
	buf      []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.buf = append(w.buf, p...)
			if len(w.buf) >= maxLogLine {
				w.flush()
			}
			break
		}
		w.buf = append(w.buf, p[:i]...)
		p = p[i+1:]
		w.line()
	}
	return n, nil
}

// flush logs a partial line, if any.
func (w *lineWriter) flush() {
	if len(w.buf) > 0 {
		w.line()
	}
}

func (w *lineWriter) line() {
	line := string(bytes.TrimRight(w.buf, "\r"))
	w.buf = w.buf[:0]
	if w.isStderr && w.in.stderrFirst == "" && line != "" {
		w.in.stderrFirst = line
	}
	w.in.host.Log(w.level, w.in.link, line)
}
