package wasmrt_test

import (
	"github.com/genehost/genehost/abi"
)

// A tiny WebAssembly binary writer for modules the Go toolchain cannot
// produce: wrong versions, missing exports, foreign imports. Function
// bodies default to returning zero.

type wfunc struct {
	export  string
	params  []abi.ValueType
	results []abi.ValueType
	body    []byte // instructions before the final end; nil: return zeros
}

type wimport struct {
	mod, name       string
	params, results []abi.ValueType
}

type wmod struct {
	imports []wimport
	funcs   []wfunc
	memory  uint32 // minimum pages of an exported memory; 0: none
}

func uleb(dst []byte, v uint64) []byte {
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			dst = append(dst, b|0x80)
			continue
		}
		return append(dst, b)
	}
}

func name(dst []byte, s string) []byte { return append(uleb(dst, uint64(len(s))), s...) }

func section(dst []byte, id byte, body []byte) []byte {
	dst = append(dst, id)
	dst = uleb(dst, uint64(len(body)))
	return append(dst, body...)
}

func functype(dst []byte, params, results []abi.ValueType) []byte {
	dst = append(dst, 0x60)
	dst = uleb(dst, uint64(len(params)))
	for _, p := range params {
		dst = append(dst, byte(p))
	}
	dst = uleb(dst, uint64(len(results)))
	for _, r := range results {
		dst = append(dst, byte(r))
	}
	return dst
}

// i32Const returns the instruction i32.const v (v small and non-negative).
func i32Const(v uint64) []byte { return uleb([]byte{0x41}, v) }

func (m wmod) bytes() []byte {
	out := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}

	var types []byte
	n := 0
	for _, im := range m.imports {
		types = functype(types, im.params, im.results)
		n++
	}
	for _, f := range m.funcs {
		types = functype(types, f.params, f.results)
		n++
	}
	out = section(out, 1, append(uleb(nil, uint64(n)), types...))

	if len(m.imports) > 0 {
		b := uleb(nil, uint64(len(m.imports)))
		for i, im := range m.imports {
			b = name(b, im.mod)
			b = name(b, im.name)
			b = append(b, 0x00)
			b = uleb(b, uint64(i))
		}
		out = section(out, 2, b)
	}

	fs := uleb(nil, uint64(len(m.funcs)))
	for i := range m.funcs {
		fs = uleb(fs, uint64(len(m.imports)+i))
	}
	out = section(out, 3, fs)

	if m.memory > 0 {
		out = section(out, 5, uleb([]byte{0x01, 0x00}, uint64(m.memory)))
	}

	var exps []byte
	ne := 0
	for i, f := range m.funcs {
		if f.export == "" {
			continue
		}
		exps = name(exps, f.export)
		exps = append(exps, 0x00)
		exps = uleb(exps, uint64(len(m.imports)+i))
		ne++
	}
	if m.memory > 0 {
		exps = name(exps, abi.Memory)
		exps = append(exps, 0x02, 0x00)
		ne++
	}
	out = section(out, 7, append(uleb(nil, uint64(ne)), exps...))

	code := uleb(nil, uint64(len(m.funcs)))
	for _, f := range m.funcs {
		body := []byte{0x00} // no locals
		if f.body != nil {
			body = append(body, f.body...)
		} else {
			for _, r := range f.results {
				if r == abi.I64 {
					body = append(body, 0x42, 0x00)
				} else {
					body = append(body, 0x41, 0x00)
				}
			}
		}
		body = append(body, 0x0b)
		code = uleb(code, uint64(len(body)))
		code = append(code, body...)
	}
	out = section(out, 10, code)
	return out
}

// validModule returns a module that passes validation: every export of
// the ABI, the marker of the given version, and one page of memory.
func validModule(major, minor int) wmod {
	var m wmod
	for _, f := range abi.Exports() {
		m.funcs = append(m.funcs, wfunc{export: f.Name, params: f.Params, results: f.Results})
	}
	mk := abi.Marker(major, minor)
	m.funcs = append(m.funcs, wfunc{export: mk.Name, results: mk.Results})
	m.memory = 1
	return m
}

// without returns m without the named exports.
func (m wmod) without(names ...string) wmod {
	var out wmod
	out.imports, out.memory = m.imports, m.memory
	for _, f := range m.funcs {
		drop := false
		for _, n := range names {
			drop = drop || f.export == n
		}
		if !drop {
			out.funcs = append(out.funcs, f)
		}
	}
	return out
}

// with returns m with f added or replacing the export of the same name.
func (m wmod) with(f wfunc) wmod {
	out := m.without(f.export)
	out.funcs = append(out.funcs, f)
	return out
}
