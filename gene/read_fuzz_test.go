package gene

import (
	"errors"
	"io"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// textFuzzLimits are small, so the fuzzer reaches every limit quickly.
var textFuzzLimits = Limits{MaxDepth: 8, MaxElements: 32, MaxStringBytes: 64, MaxIntDigits: 40, MaxValueBytes: 1024}

// readFuzzSeeds are the seeds both text fuzz targets start from, besides
// the committed corpus in testdata/fuzz: every literal form, the stream
// texts, and inputs that stop inside each construct or break a rule.
func readFuzzSeeds(f *testing.F) []string {
	seeds := append([]string{}, roundTripTexts...)
	seeds = append(seeds, streamTexts(f)[:22]...)
	seeds = append(seeds,
		"(a ]", "{^a}", "(a #x", "''", `"a\q"`, "[[[[[[[[[[1]]]]]]]]]]", "#{{1 : 2}}", "{{1 2}}",
		"^a^b 1", "{^a^b 1 ^!c}", "#/a(b/i", "## old comment\n1", "#a", "(a; ; b)", "(x; f _ _)",
		`$"${}"`, "#_", "#_)", "\x00", "\xff", "'ab'", `"\uD800"`, "0x"+"f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0",
		"2026-13-01", "24:00", "09:30[]", "#B16#abc", "#B64#SGVsbG8===", "#B#0101", "#B16#ab~cd",
		"#<", "#< #< >#", "#Ref", "#Deref )", "`", "%", "a/", "(a...)...", `#"x"q`, `#"x"ii`,
	)
	return seeds
}

// FuzzRead reads arbitrary text under small limits, strictly and leniently.
// It must never panic; every error must be a SyntaxError or LimitError
// placed inside the input; every value read must respect the limits, be
// written by the strict writer, read back equal and write the same bytes
// again, and carry through the binary encoding unchanged; and Parse must
// agree with ParseAll on inputs holding one value.
func FuzzRead(f *testing.F) {
	for _, s := range readFuzzSeeds(f) {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, lenient bool) {
		o := ReadOptions{Limits: textFuzzLimits, Lenient: lenient}
		var before, after binRuntimeMem
		before.read()
		vs, err := readAllRef(data, o)
		after.read()
		if grew := after.total - before.total; grew > uint64(200*len(data)+64<<10) {
			t.Fatalf("reading %d bytes allocated %d bytes", len(data), grew)
		}
		if err != nil {
			checkReadErr(t, err, len(data))
		}
		for _, v := range vs {
			binCheckWithinLimits(t, v, textFuzzLimits, 0)
			bin := AppendBinary(nil, v)
			bv, n, berr := DecodeBinary(bin, BinaryOptions{})
			require.NoError(t, berr)
			require.Equal(t, len(bin), n)
			require.True(t, sameValue(v, bv), "%q through binary is %q", data, Format(bv))
			out, werr := AppendTextStrict(nil, v)
			if lenient && errors.Is(werr, ErrUnwritable) {
				continue // the older dialects read symbols such as #a that text cannot write
			}
			require.NoError(t, werr, "%q read as a value the writer refuses", data)
			// Written text may be longer than the input (0xff is 255), so
			// it is read back under the default limits.
			back, rerr := Parse(out)
			require.NoError(t, rerr, "%q written as %q does not read", data, out)
			require.True(t, sameValue(v, back), "%q written as %q reads back as %q", data, out, Format(back))
			require.Equal(t, string(out), string(AppendText(nil, back)), "written twice differently")
		}
		if err == nil && len(vs) == 1 {
			one, perr := ParseWith(data, o)
			require.NoError(t, perr)
			require.True(t, sameValue(vs[0], one))
		}
	})
}

// checkReadErr checks the shape of a read error.
func checkReadErr(t *testing.T, err error, size int) {
	t.Helper()
	require.True(t, utf8.ValidString(err.Error()), "error text is not valid UTF-8: %q", err.Error())
	var se *SyntaxError
	var le *LimitError
	switch {
	case errors.As(err, &se):
		require.ErrorIs(t, err, ErrSyntax)
		for _, s := range []string{se.Msg, se.Found, se.Expected, se.Excerpt} {
			require.True(t, utf8.ValidString(s), "SyntaxError field is not valid UTF-8: %q", s)
		}
		require.GreaterOrEqual(t, se.Offset, int64(0))
		require.LessOrEqual(t, se.Offset, int64(size))
		require.Positive(t, se.Line)
		require.Positive(t, se.Col)
		require.NotEmpty(t, se.Msg)
		require.Equal(t, se.Incomplete, errors.Is(err, ErrIncomplete))
		if se.Incomplete {
			require.Equal(t, int64(size), se.Offset, "incomplete is reported at the end of input: %v", err)
		}
	case errors.As(err, &le):
		require.ErrorIs(t, err, ErrLimit)
		require.NotErrorIs(t, err, ErrIncomplete)
		require.NotEmpty(t, le.Where)
	default:
		t.Fatalf("unexpected error type %T: %v", err, err)
	}
}

// FuzzStream feeds arbitrary text to a Feeder in chunks whose sizes come
// from the fuzzer, with and without the scanner deciding when to reread,
// and to a Decoder; both must return exactly the values and the error that
// reading the whole input in memory does, and a Feeder must never ask for
// more bytes while the buffered ones already hold a value.
func FuzzStream(f *testing.F) {
	for i, s := range readFuzzSeeds(f) {
		f.Add([]byte(s), uint64(i)*0x9e3779b97f4a7c15, i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint64, lenient bool) {
		o := ReadOptions{Limits: textFuzzLimits, Lenient: lenient}
		want, wantErr := readAllRef(data, o)
		var sizes []int
		for s := split; s != 0; s >>= 4 {
			sizes = append(sizes, int(s&15)+1)
		}
		if len(sizes) == 0 {
			sizes = []int{len(data) + 1}
		}
		for _, retry := range []int{feederAlwaysRetry, 0} {
			setRetry(t, retry)
			got, err := feedChunks(t, data, o, sizes, retry > 0)
			sameValues(t, want, got, "feeder")
			sameStreamErr(t, wantErr, err, "feeder")
		}
		chunks := [][]byte{}
		for i, k := 0, 0; i < len(data); k++ {
			n := min(sizes[k%len(sizes)], len(data)-i)
			chunks = append(chunks, data[i:i+n])
			i += n
		}
		d := NewDecoder(&scriptReader{chunks: chunks, end: io.EOF}, o)
		var got []Value
		var err error
		for {
			var v Value
			if v, err = d.Decode(); err != nil {
				break
			}
			got = append(got, v)
		}
		sameValues(t, want, got, "decoder")
		if wantErr == nil {
			require.Equal(t, io.EOF, err)
		} else {
			sameStreamErr(t, wantErr, err, "decoder")
		}
	})
}

// sameStreamErr is sameErr, except that a value over MaxValueBytes may be
// refused by a stream reader before it ends: with the limit named, where
// the whole-input reader may report the value's own error or its end.
func sameStreamErr(t *testing.T, want, got error, msg string) {
	t.Helper()
	var le *LimitError
	if errors.As(got, &le) && le.Limit == "MaxValueBytes" && want != nil {
		return
	}
	sameErr(t, want, got, msg)
}

// TestReadDepthOfShorthands: shorthands that read as nested nodes count
// toward MaxDepth as the nodes they read as, so no text can build a value
// deeper than the limit (and no writer or Equal recurses past it).
func TestReadDepthOfShorthands(t *testing.T) {
	o := ReadOptions{Limits: Limits{MaxDepth: 3}}
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"(a; b; c)", true},     // (((a) b) c)
		{"(a; b; c; d)", false}, // four levels
		{"((a; b) c)", true},
		{"((a; b; c) d)", false},
		{"(a [b]; c; d)", false}, // [b] ends up four levels down
		{"(a; b; c [d])", true},  // the last segment is the outer node
		{"(a; b [c])", true},
		{"(a; b [[c]])", true},
		{"(a; b [[[c]]])", false},
		{"[[x...]]", true},
		{"[[[x...]]]", false},
		{"[[a/b]]", true},
		{"[[a/%b]]", false},
		{"[a/%b]", true},
		{"%%%x", true},
		{"%%%%x", false},
		{"[[$%0]]", false},
	} {
		_, err := ParseWith([]byte(tc.in), o)
		if tc.ok {
			require.NoError(t, err, tc.in)
			continue
		}
		require.ErrorIs(t, err, ErrLimit, tc.in)
		require.Contains(t, err.Error(), "MaxDepth (3)", tc.in)
	}
}
