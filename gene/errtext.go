package gene

import "unicode/utf8"

// validText returns s with every byte that is not part of a valid UTF-8
// sequence written as \xNN (two lower-case hex digits), and valid text
// unchanged. Errors quote what the input held, which may be any bytes;
// passing their texts through validText keeps every error text valid
// UTF-8, so it can be logged, sent in a Gene string or shown in a
// terminal as it is.
func validText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+12)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			b = append(b, '\\', 'x', lowerHex[s[i]>>4], lowerHex[s[i]&0xf])
			i++
			continue
		}
		b = append(b, s[i:i+n]...)
		i += n
	}
	return string(b)
}
