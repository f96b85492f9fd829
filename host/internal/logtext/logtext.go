// Package logtext bounds text that a peer or a plugin chose before it goes
// into the host's log: exception messages, RESET and GOAWAY texts, plugin
// log lines. A hostile client or a plugin could otherwise make the host
// write megabytes per line.
package logtext

import (
	"strconv"
	"unicode/utf8"
)

// Max is the most bytes of one such text that is logged.
const Max = 4 << 10

// Cut returns s when it is at most Max bytes long, and otherwise its first
// Max bytes (cut back to a whole UTF-8 character) followed by
// "... (N bytes more)".
func Cut(s string) string {
	if len(s) <= Max {
		return s
	}
	n := Max
	for n > Max-utf8.UTFMax && n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "... (" + strconv.Itoa(len(s)-n) + " bytes more)"
}

// Err is Cut of err's text, or "" for a nil err.
func Err(err error) string {
	if err == nil {
		return ""
	}
	return Cut(err.Error())
}
