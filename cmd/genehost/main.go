// Command genehost serves interfaces from a plugin directory over Unix and
// TCP sockets, and talks to them as a client. It only wires flags to the
// library: every behaviour lives in the packages it imports.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// command is one subcommand. run gets the arguments after the command name
// and returns the process exit code.
type command struct {
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

// commands is filled by the files that implement each subcommand.
var commands = map[string]command{}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "--version", "-version", "version":
		printVersion(stdout)
		return exitOK
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				return c.run([]string{"--help"}, stdin, stdout, stderr)
			}
		}
		usage(stdout)
		return 0
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "genehost: unknown command %q%s\n", name, nearestCommand(name))
		fmt.Fprintln(stderr, "Run 'genehost --help' for the commands.")
		return exitUsage
	}
	return c.run(args[1:], stdin, stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "genehost: expose Gene-speaking interfaces over Unix and TCP sockets")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: genehost COMMAND [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'genehost COMMAND --help' for a command's flags and examples;")
	fmt.Fprintln(w, "'genehost --version' prints the version and the protocol version.")
	fmt.Fprintf(w, "\n%s\n\n%s\n", exitCodesHelp, envHelp)
}

// envHelp lists the environment variables the commands read.
const envHelp = `Environment:
  GENEHOST_ADDR    the ADDR of client commands that leave it out (- for the default socket)
  XDG_RUNTIME_DIR  where the default socket is: $XDG_RUNTIME_DIR/genehost/genehost.sock`

// nearestCommand returns "; did you mean X?" for the command closest to
// name, or "".
func nearestCommand(name string) string {
	best, bestD := "", 3
	for n := range commands {
		if d := editDistance(name, n); d < bestD || (d == bestD && n < best) {
			best, bestD = n, d
		}
	}
	if best == "" {
		return ""
	}
	return "; did you mean " + best + "?"
}
