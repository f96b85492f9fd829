package gene

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestValidText(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "",
		"plain":            "plain",
		"é😀":               "é😀",
		"a\xffb":           `a\xffb`,
		"\xc3":             `\xc3`,         // a cut sequence
		"\xc3\xa9\xc3":     `é\xc3`,        // a valid one, then a cut one
		"\xed\xa0\x80":     `\xed\xa0\x80`, // an encoded surrogate
		"\xf4\x90\x80\x80": `\xf4\x90\x80\x80`,
		`\x41`:             `\x41`, // text that looks like an escape stays as it is
	} {
		require.Equal(t, want, validText(in), "%q", in)
	}
}

// TestErrorTextsAreValidUTF8: whatever bytes the input holds, the texts
// of the errors reading it (and of writing or mapping a value holding
// them) are valid UTF-8, with each bad byte quoted as \xNN.
func TestErrorTextsAreValidUTF8(t *testing.T) {
	texts := []struct {
		in, want string
		lenient  bool
	}{
		{"\"a\xffb\"", `gene: 1:3: invalid UTF-8 in text`, false},
		{"#\xff", `gene: 1:1: reserved '#\xff': '#' starts only comments, '#_', '#(', '#[', '#{', regexes '#"' and bytes '#B'`, false},
		{"(#\xc3)", `gene: 1:2: reserved '#\xc3': '#' starts only comments, '#_', '#(', '#[', '#{', regexes '#"' and bytes '#B'`, false},
		{"'\\\xff'", `gene: 1:2: escape '\\xff' is not a valid escape; use \n \r \t \0 \\ \" \' \uXXXX or \u{X..X}`, false},
		{"'\\u{\xff}'", `gene: 1:2: escape '\u{\xff' needs 1 to 6 hex digits in braces`, false},
		{"'\\u1\xff00'", `gene: 1:2: escape '\u1\xff' needs exactly 4 hex digits (or \u{X..X})`, false},
		{"{^a ^\xff}", `gene: 1:5: '^a' at 1:2 has no value; found '^\xff' (write '^^a' for true)`, false},
		{"{^a ^é}", `gene: 1:5: '^a' at 1:2 has no value; found '^é' (write '^^a' for true)`, false},
		{"{^a\xff 1}", `gene: 1:2: invalid UTF-8 in key`, false},
		{"a\xff", `gene: 1:1: invalid UTF-8 in atom`, false},
		{"#B16#\xff", `gene: 1:6: invalid digit byte 0xff in #B16# bytes literal`, false},
		{"#\"a\"\xff", `gene: 1:5: unexpected byte 0xff after regex`, false},
		{"09:30[\xff]", `gene: 1:7: unexpected byte 0xff in zone name opened at 1:6; zone names look like [Europe/Paris]`, false},
		{"#a\xff", `gene: 1:1: invalid UTF-8 in atom`, true},
	}
	for _, tc := range texts {
		_, err := ParseWith([]byte(tc.in), ReadOptions{Lenient: tc.lenient})
		var se *SyntaxError
		require.ErrorAs(t, err, &se, "%q", tc.in)
		require.Equal(t, tc.want, err.Error(), "%q", tc.in)
		for _, s := range []string{se.Msg, se.Found, se.Expected, se.Excerpt} {
			require.True(t, utf8.ValidString(s), "%q: %q", tc.in, s)
		}
	}

	// A source name is quoted the same way.
	_, err := ParseWith([]byte(")"), ReadOptions{Source: "f\xff.gene"})
	require.EqualError(t, err, `f\xff.gene:1:1: unexpected ')'`)

	// Every byte after every prefix: each error text is valid UTF-8.
	prefixes := []string{"", "#", "'", "'\\", "'\\u", "'\\u{", "\"\\", "\"\\u", "{^a ^", "{^a ", "(f @", "#B16#", "#B64#",
		"#\"a\"", "09:30[", "2026-11-24T09:30[", "$\"${", "`", "%", "(a; ", "a/", "{{1 ", "#Ref "}
	for _, pre := range prefixes {
		for b := 0x80; b < 0x100; b++ {
			for _, lenient := range []bool{false, true} {
				in := []byte(pre + string([]byte{byte(b)}) + " x)")
				_, err := ParseWith(in, ReadOptions{Lenient: lenient})
				if err == nil {
					continue
				}
				require.True(t, utf8.ValidString(err.Error()), "%q: %q", in, err.Error())
				var se *SyntaxError
				if errors.As(err, &se) {
					require.True(t, utf8.ValidString(se.Found) && utf8.ValidString(se.Msg), "%q: %#v", in, se)
				}
			}
		}
	}
}

func TestWriteAndBinaryErrorTextsAreValidUTF8(t *testing.T) {
	// A key holding invalid UTF-8 is named in the path with its bad byte
	// quoted.
	_, err := AppendTextStrict(nil, PropMap(Prop{"k\xff", Int(1)}))
	var we *WriteError
	require.ErrorAs(t, err, &we)
	require.Equal(t, `^k\xff`, we.Path)
	require.Equal(t, `gene: cannot write symbol at ^k\xff: key "k\xff" is not valid UTF-8`, err.Error())

	_, err = AppendTextStrict(nil, PropMap(Prop{"o", Map(Entry{Int(1), PropMap(Prop{"k\xff", Int(1)})})}))
	require.ErrorAs(t, err, &we)
	require.Equal(t, `^o{{0}}^k\xff`, we.Path)

	_, err = appendPrettyStrict(nil, List(PropMap(Prop{"k\xfe", Int(1)})), "  ")
	require.ErrorAs(t, err, &we)
	require.Equal(t, `[0]^k\xfe`, we.Path)
	require.True(t, utf8.ValidString(err.Error()))

	// Keys in errors are quoted through the text writer, which writes a
	// symbol's bytes as they are.
	require.Equal(t, `[a\xff]`, describeKey(List(Symbol("a\xff"))))

	// Marshal and Unmarshal name paths through keys.
	var dst struct {
		N int `gene:"n"`
	}
	err = Unmarshal(PropMap(Prop{"n", String("x")}), &dst)
	require.Error(t, err)
	require.True(t, utf8.ValidString(err.Error()))
	var into map[string]int
	err = Unmarshal(PropMap(Prop{"k\xff", String("x")}), &into)
	require.Error(t, err)
	require.Contains(t, err.Error(), `k\xff`)
	require.True(t, utf8.ValidString(err.Error()), "%q", err.Error())

	be := &BinaryError{Offset: 3, Msg: "raw \xff"}
	require.Equal(t, `gene: binary: offset 3: raw \xff`, be.Error())
	le := &LimitError{Limit: "MaxDepth", Max: 1, Where: "x\xff"}
	require.Equal(t, `gene: value exceeds MaxDepth (1) at x\xff`, le.Error())
}
