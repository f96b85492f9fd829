package main

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/proto"
)

// linkFlagsSpec is what differs between the commands that open one data
// link (send, recv, connect): the help texts of their flags and the
// directions they accept.
type linkFlagsSpec struct {
	timeoutHelp string
	dirDefault  string // the default of --dir: "auto" (from the manifest) or a direction
	dirHelp     string
	countHelp   string // "": the command has no --count
	// noAuto refuses --dir auto: the command needs a fixed direction.
	noAuto bool
	// refuse, when not zero, is a direction the command cannot use, with
	// refuseErr the reason printed for it.
	refuse    proto.Direction
	refuseErr string
}

// linkFlags are the flags of a command that opens one data link.
type linkFlags struct {
	spec    linkFlagsSpec
	timeout *time.Duration
	dir     *string
	count   *int
	format  *string
	json    *bool
	client  *clientFlags
}

// linkArgs is a command line of a link command, parsed and checked.
type linkArgs struct {
	target  target
	iface   string
	timeout time.Duration
	dir     proto.Direction
	fixed   bool   // dir was given; otherwise it is the interface's own
	count   int    // 0: no limit
	format  string // with --json: json or json-pretty
	input   syntax // Gene text, or JSON with --json
	meta    gene.Props
}

// addLinkFlags adds --timeout, --dir, --count (when the spec has help
// for it), --format, --json and the client flags to fs.
func addLinkFlags(fs *flag.FlagSet, spec linkFlagsSpec) *linkFlags {
	lf := &linkFlags{spec: spec}
	lf.timeout = fs.Duration("timeout", 0, spec.timeoutHelp)
	lf.dir = fs.String("dir", spec.dirDefault, spec.dirHelp)
	if spec.countHelp != "" {
		lf.count = fs.Int("count", 0, spec.countHelp)
	}
	lf.format = addFormatFlag(fs)
	lf.json = addJSONFlag(fs)
	lf.client = addClientFlags(fs)
	return lf
}

// parse parses args (ADDR IFACE and the flags) and checks them. It
// returns the exit code when the command should stop (help, or a usage
// error already printed).
func (lf *linkFlags) parse(c *cli, fs *flag.FlagSet, args []string) (linkArgs, int, bool) {
	ca, code, ok := lf.client.parse(c, fs, args, 1, 1, "[ADDR] IFACE")
	if !ok {
		return linkArgs{}, code, false
	}
	a := linkArgs{target: ca.target, iface: ca.pos[0], timeout: *lf.timeout, meta: ca.meta, input: syntax{json: *lf.json}}
	var err error
	if a.format, err = outputFormat(*lf.format, *lf.json); err != nil {
		return linkArgs{}, c.usageErr("%v", err), false
	}
	if lf.count != nil {
		if a.count = *lf.count; a.count < 0 {
			return linkArgs{}, c.usageErr("--count %d: must not be negative", a.count), false
		}
	}
	if lf.spec.noAuto {
		a.fixed = true
		if a.dir, err = proto.ParseDirection(*lf.dir); err != nil {
			err = fmt.Errorf("--dir: %w", err)
		}
	} else {
		a.dir, a.fixed, err = parseDir(*lf.dir)
	}
	if err == nil && a.fixed && lf.spec.refuse != 0 && a.dir == lf.spec.refuse {
		err = errors.New(lf.spec.refuseErr)
	}
	if err != nil {
		return linkArgs{}, c.usageErr("%v", err), false
	}
	return a, 0, true
}

// parseDir reads --dir: a direction, or "" or "auto" for the interface's
// own (fixed false).
func parseDir(s string) (proto.Direction, bool, error) {
	if s == "" || s == "auto" {
		return 0, false, nil
	}
	d, err := proto.ParseDirection(s)
	if err != nil {
		return 0, false, fmt.Errorf("--dir: %w", err)
	}
	return d, true, nil
}

// addJSONFlag adds --json: values in and out in the JSON view.
func addJSONFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("json", false, "read and print values as JSON (the JSON view of gene/JSON.md: plain JSON for plain values)")
}
