package wasmrt

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/genehost/genehost/abi"
)

// validate checks a compiled module against ABI.md sections 1 and 2 and
// returns one error listing every problem.
func validate(cm wazero.CompiledModule) error {
	exports := cm.ExportedFunctions()

	// The version first: the rest means nothing under another major.
	var markers []string
	for name := range exports {
		if strings.HasPrefix(name, abi.MarkerPrefix) {
			markers = append(markers, name)
		}
	}
	slices.Sort(markers)
	supported := abi.Version(abi.Major, abi.Minor)
	var minor int
	switch len(markers) {
	case 0:
		return fmt.Errorf("no genehost ABI version marker (an export named %s<major>_<minor>); this host supports ABI %s",
			abi.MarkerPrefix, supported)
	case 1:
		major, mi, err := abi.ParseMarker(markers[0])
		if err != nil {
			return err
		}
		if major != abi.Major {
			return fmt.Errorf("built for genehost ABI %s, this host supports ABI %s (major versions must match)",
				abi.Version(major, mi), supported)
		}
		minor = mi
	default:
		return fmt.Errorf("more than one genehost ABI version marker: %s", strings.Join(markers, ", "))
	}

	var problems []string
	var missing []string
	for _, want := range append(abi.Exports(), abi.Marker(abi.Major, minor)) {
		got, ok := exports[want.Name]
		if !ok {
			missing = append(missing, want.Name+" "+want.Signature())
			continue
		}
		if sig := signature(got); sig != want.Signature() {
			problems = append(problems, fmt.Sprintf("export %s has type %s, want %s", want.Name, sig, want.Signature()))
		}
	}
	if len(missing) > 0 {
		hint := ""
		if _, hasStart := exports[abi.Start]; hasStart && slices.ContainsFunc(missing, func(s string) bool { return strings.HasPrefix(s, abi.Initialize+" ") }) {
			hint = " (the module is a command exporting _start; build a reactor: Go -buildmode=c-shared, clang -mexec-model=reactor)"
		}
		problems = append([]string{"missing exports: " + strings.Join(missing, ", ") + hint}, problems...)
	}
	if _, ok := cm.ExportedMemories()[abi.Memory]; !ok {
		problems = append(problems, "missing export: memory "+abi.Memory)
	}
	if len(cm.ImportedMemories()) > 0 {
		problems = append(problems, "imports a memory; a plugin must define and export its own")
	}

	known := map[string]abi.Func{}
	for _, f := range abi.Imports() {
		known[f.Name] = f
	}
	var unknown []string
	for _, f := range cm.ImportedFunctions() {
		mod, name, _ := f.Import()
		switch mod {
		case abi.WASIModule:
			// wazero's WASI module provides all of preview 1; an unknown
			// name fails instantiation with its own message.
		case abi.HostModule:
			want, ok := known[name]
			if !ok {
				unknown = append(unknown, mod+"."+name)
				continue
			}
			if sig := signature(f); sig != want.Signature() {
				problems = append(problems, fmt.Sprintf("import %s.%s has type %s, want %s", mod, name, sig, want.Signature()))
			}
		default:
			problems = append(problems, fmt.Sprintf("imports %s.%s; plugins may import only from %q and %q", mod, name, abi.HostModule, abi.WASIModule))
		}
	}
	if len(unknown) > 0 {
		msg := "imports host functions this host does not provide: " + strings.Join(unknown, ", ")
		if minor > abi.Minor {
			msg += fmt.Sprintf(" (the plugin was built for ABI %s, this host supports ABI %s)", abi.Version(abi.Major, minor), supported)
		}
		problems = append(problems, msg)
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// signature writes a function type as abi.Func.Signature does.
func signature(d api.FunctionDefinition) string {
	conv := func(ts []api.ValueType) []abi.ValueType {
		out := make([]abi.ValueType, len(ts))
		for i, t := range ts {
			out[i] = abi.ValueType(t)
		}
		return out
	}
	return abi.Func{Params: conv(d.ParamTypes()), Results: conv(d.ResultTypes())}.Signature()
}
