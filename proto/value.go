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
			return gene.Value{}, trailing(payload, n)
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

// Decoder decodes the DATA payloads of one link, one after another, as
// DecodeValue does; in the binary encoding consecutive values share the
// blocks their storage is carved from (gene.BinaryDecoder), so a stream
// of small values costs fewer allocations. It is not safe for concurrent
// use.
type Decoder struct {
	enc Encoding
	lim gene.Limits
	bin gene.BinaryDecoder
}

// NewDecoder returns a Decoder of payloads in enc under the Gene limits l.
func NewDecoder(enc Encoding, l gene.Limits) *Decoder {
	return &Decoder{enc: enc, lim: l, bin: gene.BinaryDecoder{Options: gene.BinaryOptions{Limits: l}}}
}

// Decode is DecodeValue with the Decoder's encoding and limits.
func (d *Decoder) Decode(payload []byte) (gene.Value, error) {
	if d.enc != EncodingBinary {
		return DecodeValue(d.enc, payload, d.lim)
	}
	v, n, err := d.bin.Decode(payload)
	if err != nil {
		return gene.Value{}, badValue(err)
	}
	if n != len(payload) {
		return gene.Value{}, trailing(payload, n)
	}
	return v, nil
}

func trailing(payload []byte, n int) *Error {
	return Errorf(CodeBadValue, "%d bytes after the value (at offset %d); a DATA value is exactly one value", len(payload)-n, n)
}

func badValue(err error) *Error {
	return &Error{Code: CodeBadValue, Msg: err.Error(), cause: err}
}
