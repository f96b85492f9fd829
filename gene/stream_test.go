package gene

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readAllRef is the reference the streaming readers must agree with: the
// in-memory reader run over the whole input, returning the values before
// the first error as well as the error.
func readAllRef(data []byte, o ReadOptions) ([]Value, error) {
	p := getParser(data, o)
	defer putParser(p)
	var out []Value
	for {
		v, ok, err := p.next()
		if err != nil {
			return out, err
		}
		if !ok {
			return out, nil
		}
		out = append(out, v)
	}
}

// partialState asks the in-memory reader what it can make of buffered
// input that more bytes may follow: a value, an error, or neither (it is
// incomplete, or holds only whitespace and comments).
func partialState(buf []byte, o ReadOptions) (value, invalid bool) {
	p := new(parser)
	p.resetWindow(buf, o, position{baseLine: 1, baseCol: 1}, true)
	_, ok, err := p.next()
	return ok, err != nil && !isIncomplete(err)
}

// streamTexts are whole inputs for the stream tests: the round-trip corpus
// joined into streams with various separators, and the golden files.
func streamTexts(t testing.TB) []string {
	texts := []string{
		"", " ", "\n\n", "# only a comment", "#< block >#", "1", "1 2 3", "(a b)...", "(a b)... x",
		"[1 2]x", "\"s\"...", "(f x)(g y)", "#_ (skip me) 42", "09:30[Europe/Paris] x",
		"$\"a ${\"}\"} $(f \")\") b\" tail", "'(' ')' '\\'' x", "#\"(\" [1]", "#\n(a)",
		"#<#<(>#)>#(b)", "#B16#ab~\n cd 1", "{{1 : 2}}{^a 1}", "`(a %b) %$\"${x}\"",
		strings.Join(roundTripTexts, "\n"),
		strings.Join(roundTripTexts, " "),
	}
	files, err := filepath.Glob("testdata/write/*.gene")
	require.NoError(t, err)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		texts = append(texts, string(b))
	}
	return texts
}

// sameValues compares value lists with sameValue, which also compares the
// JSON view (so meta and entry order count).
func sameValues(t testing.TB, want, got []Value, msg string) {
	t.Helper()
	require.Equal(t, len(want), len(got), "%s: value count", msg)
	for i := range want {
		if !sameValue(want[i], got[i]) {
			t.Fatalf("%s: value %d is %s, want %s", msg, i, Format(got[i]), Format(want[i]))
		}
	}
}

// sameErr checks that a streaming reader failed as the reference did.
func sameErr(t testing.TB, want, got error, msg string) {
	t.Helper()
	if want == nil {
		require.NoError(t, got, msg)
		return
	}
	require.Error(t, got, "%s: want %v", msg, want)
	require.Equal(t, want.Error(), got.Error(), msg)
}

// feedChunks drives a Feeder with the given chunk sizes (cycled), checking
// after every chunk that "need more" is only said when the reader indeed
// cannot return anything from the buffered bytes. exact also requires it to
// report errors as soon as the reader could (true when every value is
// small enough to be reread at each byte).
func feedChunks(t testing.TB, data []byte, o ReadOptions, sizes []int, exact bool) ([]Value, error) {
	t.Helper()
	f := NewFeeder(o)
	var out []Value
	for i, k := 0, 0; i < len(data); k++ {
		n := min(max(sizes[k%len(sizes)], 1), len(data)-i)
		f.Feed(data[i : i+n])
		i += n
		for {
			v, ok, err := f.Next()
			if err != nil {
				return out, err
			}
			if !ok {
				break
			}
			out = append(out, v)
		}
		value, invalid := partialState(f.Buffered(), o)
		if value || exact && invalid {
			t.Fatalf("after %d of %d bytes the Feeder wants more, but the reader can go on (value %v, error %v) from %q",
				i, len(data), value, invalid, f.Buffered())
		}
	}
	f.End()
	for {
		v, ok, err := f.Next()
		if errors.Is(err, io.EOF) {
			require.False(t, ok)
			_, _, again := f.Next()
			require.ErrorIs(t, again, io.EOF, "io.EOF is sticky")
			return out, nil
		}
		if err != nil {
			return out, err
		}
		require.True(t, ok, "after End, Next never asks for more")
		out = append(out, v)
	}
}

func TestFeederAgreesWithParseOnEverySplit(t *testing.T) {
	for _, retry := range []int{feederAlwaysRetry, 0} {
		setRetry(t, retry)
		for _, text := range streamTexts(t) {
			data := []byte(text)
			want, wantErr := readAllRef(data, ReadOptions{})
			for _, sizes := range [][]int{{1}, {2}, {3, 1}, {7}, {64}, {1 << 20}} {
				if len(data) > 2000 && sizes[0] < 7 {
					continue // the per-byte splits of the large golden files take too long
				}
				got, err := feedChunks(t, data, ReadOptions{}, sizes, retry > 0)
				msg := "retry " + itoa(retry) + " chunks " + itoa(sizes[0]) + " of " + trim(text)
				sameValues(t, want, got, msg)
				sameErr(t, wantErr, err, msg)
			}
		}
	}
}

// TestFeederEverySplitPoint feeds each text in two pieces, split at every
// byte, through the scanner path.
func TestFeederEverySplitPoint(t *testing.T) {
	setRetry(t, 0)
	for _, text := range streamTexts(t)[:22] {
		data := []byte(text)
		want, wantErr := readAllRef(data, ReadOptions{})
		for i := 0; i <= len(data); i++ {
			got, err := feedChunks(t, data, ReadOptions{}, []int{i, len(data)}, false)
			msg := "split at " + itoa(i) + " of " + trim(text)
			sameValues(t, want, got, msg)
			sameErr(t, wantErr, err, msg)
		}
	}
}

func setRetry(t testing.TB, n int) {
	old := feederAlwaysRetry
	feederAlwaysRetry = n
	t.Cleanup(func() { feederAlwaysRetry = old })
}

func trim(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

func TestFeederNeedMoreVersusInvalid(t *testing.T) {
	cases := []struct {
		name, in string
		// invalid is the error, or "" when more input could still
		// complete the value; atEnd is then what End makes of it: the
		// value, "incomplete" or "EOF".
		invalid, atEnd string
	}{
		{"open node", "(a b", "", "incomplete"},
		{"open string", `"abc`, "", "incomplete"},
		{"open triple string", `"""a "`, "", "incomplete"},
		{"open char", `'`, "", "incomplete"},
		{"open block comment", "#< x", "", "incomplete"},
		{"line comment", "# x", "", "EOF"},
		{"atom may continue", "123", "", "123"},
		{"form may take ...", "(a)", "", "(a)"},
		{"form may take ... part", "(a)..", "", "(a)"},
		{"form with ...", "(a)...", "", "(... (a))"},
		{"hash at end", "#", "", "EOF"},
		{"open map", "{{1 : ", "", "incomplete"},
		{"open interpolation hole", `$"a ${(f`, "", "incomplete"},
		{"zone may continue", "09:30[Europe/Par", "", "incomplete"},
		{"bad escape", `"a\q`, "", "incomplete"}, // checked when the string ends
		{"mismatched closer", "(a ]", "gene: 1:4: unexpected ']' while reading '(' opened at 1:1; expected ')'", ""},
		{"stray closer", ")", "gene: 1:1: unexpected ')'", ""},
		{"prop without value", "{^a}", "gene: 1:4: '^a' at 1:2 has no value; found '}' (write '^^a' for true)", ""},
		{"reserved hash", "(a #x", "gene: 1:4: reserved '#x': '#' starts only comments, '#_', '#(', '#[', '#{', regexes '#\"' and bytes '#B'", ""},
		{"empty char", "''", "gene: 1:1: empty char literal; a char holds exactly one character", ""},
		{"bad escape closed", `"a\q"`, `gene: 1:3: escape '\q' is not a valid escape; use \n \r \t \0 \\ \" \' \uXXXX or \u{X..X}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFeeder(ReadOptions{})
			f.Feed([]byte(tc.in))
			v, ok, err := f.Next()
			require.False(t, ok, "got %s", Format(v))
			if tc.invalid == "" {
				require.NoError(t, err)
				f.End()
				v, ok, err = f.Next()
				switch tc.atEnd {
				case "incomplete":
					require.ErrorIs(t, err, ErrIncomplete)
				case "EOF":
					require.Equal(t, io.EOF, err)
				default:
					require.NoError(t, err)
					require.True(t, ok)
					require.Equal(t, tc.atEnd, Format(v))
				}
				return
			}
			require.EqualError(t, err, tc.invalid)
			require.NotErrorIs(t, err, ErrIncomplete)
			_, _, again := f.Next()
			require.Equal(t, err, again, "errors are sticky")
		})
	}
}

func TestFeederCompletesValueWithOneMoreByte(t *testing.T) {
	for _, tc := range []struct{ in, next, want string }{
		{"42", " ", "42"},
		{"(f x)", "\n", "(f x)"},
		{"(f x)", "y", "(f x)"},
		{`"s"`, ",", `"s"`},
		{"[1 2]", "[", "[1 2]"},
		{"#B16#ff", ")", "#B16#ff"},
	} {
		f := NewFeeder(ReadOptions{})
		f.Feed([]byte(tc.in))
		_, ok, err := f.Next()
		require.NoError(t, err)
		require.False(t, ok, "%q alone may continue", tc.in)
		f.Feed([]byte(tc.next))
		v, ok, err := f.Next()
		require.NoError(t, err)
		require.True(t, ok, "%q then %q", tc.in, tc.next)
		assert.Equal(t, tc.want, Format(v))
		assert.Equal(t, int64(len(tc.in)), f.InputOffset())
		assert.Equal(t, tc.next, string(f.Buffered()))
	}
}

func TestFeederEnd(t *testing.T) {
	f := NewFeeder(ReadOptions{})
	f.Feed([]byte("1 (a) 42"))
	var got []string
	for {
		v, ok, err := f.Next()
		require.NoError(t, err)
		if !ok {
			break
		}
		got = append(got, Format(v))
	}
	require.Equal(t, []string{"1", "(a)"}, got, "42 waits for a delimiter")
	f.End()
	for {
		v, ok, err := f.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		require.True(t, ok)
		got = append(got, Format(v))
	}
	require.Equal(t, []string{"1", "(a)", "42"}, got)
	require.Panics(t, func() { f.Feed([]byte("x")) })
}

func TestFeederErrorPositionsAcrossTheStream(t *testing.T) {
	f := NewFeeder(ReadOptions{Source: "link 3"})
	in := "1\n\"é\" 2\n  (a\n   [b é) 3"
	for i := 0; i < len(in); i++ {
		f.Feed([]byte{in[i]})
		for {
			_, ok, err := f.Next()
			if err != nil {
				var se *SyntaxError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, "link 3:4:8: unexpected ')' while reading '[' opened at 4:4; expected ']'", err.Error())
				assert.Equal(t, int64(strings.LastIndexByte(in, ')')), se.Offset)
				require.Len(t, se.Open, 2)
				assert.Equal(t, OpenForm{Delim: "(", Line: 3, Col: 3}, se.Open[0])
				assert.Equal(t, OpenForm{Delim: "[", Line: 4, Col: 4}, se.Open[1])
				return
			}
			if !ok {
				break
			}
		}
	}
	t.Fatal("no error")
}

func TestFeederMaxValueBytes(t *testing.T) {
	o := ReadOptions{Limits: Limits{MaxValueBytes: 10}}
	f := NewFeeder(o)
	f.Feed([]byte("[1 2 3 4]\n[1 2 3 4 5"))
	v, ok, err := f.Next()
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "[1 2 3 4]", Format(v))
	_, ok, err = f.Next()
	require.NoError(t, err, "10 bytes of an open value are within the limit")
	require.False(t, ok)
	f.Feed([]byte(" "))
	_, _, err = f.Next()
	require.ErrorIs(t, err, ErrLimit)
	require.EqualError(t, err, "gene: value exceeds MaxValueBytes (10) at 2:1")

	// Exactly at the limit is fine, also when it needs a byte past it.
	f = NewFeeder(o)
	f.Feed([]byte("1234567890"))
	_, ok, err = f.Next()
	require.NoError(t, err)
	require.False(t, ok)
	f.Feed([]byte("\n"))
	v, ok, err = f.Next()
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "1234567890", Format(v))
}

// scriptReader returns its chunks one Read at a time and then fails with
// errBlocked: a peer that has sent everything and waits. A Decoder that
// reads past what it needs reaches the error.
type scriptReader struct {
	chunks [][]byte
	read   int
	end    error // returned after the chunks instead of errBlocked
}

var errBlocked = errors.New("test: the reader would block")

func (r *scriptReader) Read(p []byte) (int, error) {
	if len(r.chunks) == 0 {
		if r.end != nil {
			return 0, r.end
		}
		return 0, errBlocked
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	if len(r.chunks[0]) == 0 {
		r.chunks = r.chunks[1:]
	}
	r.read += n
	return n, nil
}

func splitEvery(data []byte, n int) [][]byte {
	var out [][]byte
	for len(data) > n {
		out = append(out, data[:n])
		data = data[n:]
	}
	return append(out, data)
}

// TestDecoderNeverReadsPastAValue sends each text followed by a newline
// and then blocks: the Decoder must return every value of the text before
// it asks for more.
func TestDecoderNeverReadsPastAValue(t *testing.T) {
	for _, retry := range []int{feederAlwaysRetry, 0} {
		setRetry(t, retry)
		for _, text := range streamTexts(t) {
			data := []byte(text + "\n")
			want, wantErr := readAllRef(data, ReadOptions{})
			for _, n := range []int{1, 5, 4096} {
				d := NewDecoder(&scriptReader{chunks: splitEvery(data, n)}, ReadOptions{})
				var got []Value
				var err error
				for {
					var v Value
					if v, err = d.Decode(); err != nil {
						break
					}
					got = append(got, v)
				}
				msg := "chunks of " + itoa(n) + ": " + trim(text)
				sameValues(t, want, got, msg)
				if wantErr != nil {
					sameErr(t, wantErr, err, msg)
					continue
				}
				require.ErrorIs(t, err, errBlocked, msg)
				require.EqualError(t, err, "gene: decode: read: "+errBlocked.Error())
				require.Equal(t, int64(len(data)), d.InputOffset(), msg)
			}
		}
	}
}

func TestDecoderEOF(t *testing.T) {
	d := NewDecoder(strings.NewReader("1 (a)\n42"), ReadOptions{})
	var got []string
	for {
		v, err := d.Decode()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		got = append(got, Format(v))
	}
	require.Equal(t, []string{"1", "(a)", "42"}, got, "the end of input completes the atom 42")
	_, err := d.Decode()
	require.Equal(t, io.EOF, err)

	d = NewDecoder(strings.NewReader("1 (a\n  [b"), ReadOptions{Source: "stdin"})
	v, err := d.Decode()
	require.NoError(t, err)
	require.Equal(t, "1", Format(v))
	_, err = d.Decode()
	require.ErrorIs(t, err, ErrIncomplete)
	require.EqualError(t, err, "stdin:2:5: unexpected end of input while reading '[' opened at 2:3; expected ']'")

	_, err = NewDecoder(strings.NewReader("  # nothing\n"), ReadOptions{}).Decode()
	require.Equal(t, io.EOF, err)
}

// limitReader serves an endless open list and counts what it served.
type endlessReader struct{ served int }

func (r *endlessReader) Read(p []byte) (int, error) {
	for i := range p {
		if r.served == 0 {
			p[i] = '['
		} else {
			p[i] = "1 "[r.served%2]
		}
		r.served++
	}
	return len(p), nil
}

func TestDecoderLimitBeforeBuffering(t *testing.T) {
	for _, max := range []int{10, 5000, 1 << 20} {
		r := &endlessReader{}
		d := NewDecoder(r, ReadOptions{Limits: Limits{MaxValueBytes: max}})
		_, err := d.Decode()
		require.ErrorIs(t, err, ErrLimit)
		require.LessOrEqual(t, r.served, max+1, "read no more than the limit and one byte")
	}
}

func TestDecoderReadError(t *testing.T) {
	boom := errors.New("connection reset")
	d := NewDecoder(io.MultiReader(strings.NewReader("1 2 (x"), errReader{boom}), ReadOptions{})
	for _, want := range []string{"1", "2"} {
		v, err := d.Decode()
		require.NoError(t, err)
		require.Equal(t, want, Format(v))
	}
	_, err := d.Decode()
	require.ErrorIs(t, err, boom)
	rest, _ := io.ReadAll(d.Buffered())
	require.Equal(t, "(x", string(rest))
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestDecoderNoProgress(t *testing.T) {
	_, err := NewDecoder(errReader{nil}, ReadOptions{}).Decode()
	require.ErrorIs(t, err, io.ErrNoProgress)
}

// TestDecoderLargeValueInSmallReads checks that a value of a megabyte
// arriving a few bytes at a time is read with the scanner deciding when to
// retry, not by rereading it at every chunk.
func TestDecoderLargeValueInSmallReads(t *testing.T) {
	text := AppendText(nil, benchLarge().value)
	text = append(text, '\n')
	r := &scriptReader{chunks: splitEvery(text, 512)}
	d := NewDecoder(r, ReadOptions{})
	v, err := d.Decode()
	require.NoError(t, err)
	require.True(t, sameValue(benchLarge().value, v))
	chunks := len(text) / 512
	require.Less(t, d.f.attempts, 30, "%d chunks read with %d parser runs", chunks, d.f.attempts)
	_, err = d.Decode()
	require.ErrorIs(t, err, errBlocked)
}

func TestFeederGivesUpALargeBuffer(t *testing.T) {
	f := NewFeeder(ReadOptions{})
	large := benchLarge().value
	two := List(large, large) // about 2 MB of text
	big := append(AppendText(nil, two), '\n')
	f.Feed(big)
	v, ok, err := f.Next()
	require.NoError(t, err)
	require.True(t, ok)
	require.True(t, sameValue(two, v))
	require.GreaterOrEqual(t, cap(f.buf), len(big))
	require.Greater(t, cap(f.buf), 2*feederKeptBuffer-(1<<18))
	f.Feed([]byte("(small"))
	f.Feed([]byte(")\n"))
	v, ok, err = f.Next()
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "(small)", Format(v))
	require.LessOrEqual(t, cap(f.buf), feederKeptBuffer, "the megabyte buffer is not kept")
}
