package guest

import (
	"unsafe"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/gene"
)

// The guest side of ABI.md section 4. Each export decodes its input from
// inbuf, calls the handler, and turns its answer into a status (and, for
// errors and control results, a gh_result call).

// inbuf is the exchange buffer the host writes callback input into.
var inbuf []byte

// resultbuf holds an encoded control result until gh_result copies it.
var resultbuf []byte

// abiMarker is the version marker (ABI.md section 2). Its name must match
// abi.MarkerName(abi.Major, abi.Minor); the host's tests check it.
//
//go:wasmexport genehost_abi_1_3
func abiMarker() int32 { return abi.MarkerValue(abi.Major, abi.Minor) }

//go:wasmexport gh_buffer
func ghBuffer(size uint32) unsafe.Pointer {
	if int(size) > len(inbuf) {
		inbuf = make([]byte, size)
	}
	return unsafe.Pointer(unsafe.SliceData(inbuf))
}

// input returns the first n bytes of the exchange buffer, or fails the
// callback when the host claims more than it was given.
func input(n uint32) ([]byte, bool) {
	if int(n) > len(inbuf) {
		return nil, false
	}
	return inbuf[:n], true
}

func fail(msg string) int32 {
	callResultString(msg)
	return int32(abi.Error)
}

func failErr(err error) int32 { return fail(err.Error()) }

const noHandler = "guest: no handler registered (call guest.Register from an init function)"

func badInput(n uint32) int32 {
	return fail("guest: input of " + itoa(uint64(n)) + " bytes exceeds the exchange buffer of " + itoa(uint64(len(inbuf))))
}

//go:wasmexport gh_on_open
func ghOnOpen(link uint64, n uint32) int32 {
	in, ok := input(n)
	if !ok {
		return badInput(n)
	}
	info, err := abi.DecodeLinkInfo(in, decodeOptions)
	if err != nil {
		return failErr(err)
	}
	if handler == nil {
		return fail(noHandler)
	}
	info.ID = link
	links[link] = &info
	if err := handler.Open(Link{id: link, info: &info}); err != nil {
		delete(links, link)
		return failErr(err)
	}
	return int32(abi.OK)
}

//go:wasmexport gh_on_values
func ghOnValues(link uint64, count, n uint32) int32 {
	in, ok := input(n)
	if !ok {
		return badInput(n)
	}
	if handler == nil {
		return fail(noHandler)
	}
	flow, err := handleValues(linkOf(link), int(count), in)
	switch {
	case err != nil:
		return failErr(err)
	case flow == Pause:
		return int32(abi.Pause)
	}
	return int32(abi.OK)
}

//go:wasmexport gh_on_control
func ghOnControl(link uint64, n uint32) int32 {
	in, ok := input(n)
	if !ok {
		return badInput(n)
	}
	op, arg, err := abi.DecodeControl(in, decodeOptions)
	if err != nil {
		return failErr(err)
	}
	if handler == nil {
		return fail(noHandler)
	}
	res, err := handler.Control(linkOf(link), op, arg)
	if err != nil {
		return failErr(err)
	}
	resultbuf = gene.AppendBinary(resultbuf[:0], res)
	callResult(resultbuf)
	return int32(abi.OK)
}

//go:wasmexport gh_on_close
func ghOnClose(link uint64, n uint32) int32 {
	in, ok := input(n)
	if !ok {
		return badInput(n)
	}
	if handler == nil {
		return fail(noHandler)
	}
	l := linkOf(link)
	delete(links, link)
	handler.Close(l, string(in))
	return int32(abi.OK)
}

//go:wasmexport gh_on_timer
func ghOnTimer(id uint64) int32 {
	if handler == nil {
		return fail(noHandler)
	}
	handler.Timer(id)
	return int32(abi.OK)
}

func itoa(u uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			return string(b[i:])
		}
	}
}
