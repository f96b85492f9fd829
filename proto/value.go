package proto

import (
	"fmt"

	"github.com/genehost/genehost/gene"
)

// AppendValue appends the encoding of v in enc to dst: the payload of one
// DATA value. A value with no Gene text form (see gene.AppendTextStrict)
// cannot be sent in EncodingText and gives an error.
func AppendValue(dst []byte, enc Encoding, v gene.Value) ([]byte, error) {
	switch enc {
	case EncodingBinary:
		return gene.AppendBinary(dst, v), nil
	case EncodingText:
		out, err := gene.AppendTextStrict(dst, v)
		if err != nil {
			return dst, fmt.Errorf("proto: value cannot be sent as %s: %w", enc, err)
		}
		return out, nil
	}
	return dst, fmt.Errorf("proto: unknown encoding %q", enc)
}

// DecodeValue decodes the payload of one whole DATA value in enc under
// the Gene limits l (Limits.Gene of the limits in force). A payload that
// is not exactly one valid value within the limits is an *Error with
// CodeBadValue whose text is the decoder's (naming the position and the
// limit); the gene error stays reachable with errors.As. The result does
// not alias payload.
func DecodeValue(enc Encoding, payload []byte, l gene.Limits) (gene.Value, error) {
	switch enc {
	case EncodingBinary:
		v, n, err := gene.DecodeBinary(payload, gene.BinaryOptions{Limits: l})
		if err != nil {
			return gene.Value{}, badValue(err)
		}
		if n != len(payload) {
			return gene.Value{}, Errorf(CodeBadValue, "%d bytes after the value (at offset %d); a DATA value is exactly one value", len(payload)-n, n)
		}
		return v, nil
	case EncodingText:
		v, err := gene.ParseWith(payload, gene.ReadOptions{Limits: l})
		if err != nil {
			return gene.Value{}, badValue(err)
		}
		return v, nil
	}
	return gene.Value{}, fmt.Errorf("proto: unknown encoding %q", enc)
}

func badValue(err error) *Error {
	return &Error{Code: CodeBadValue, Msg: err.Error(), cause: err}
}
