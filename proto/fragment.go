package proto

// AppendData appends one whole value as DATA frames on link: payloads of
// at most maxFrame bytes, MORE on every frame but the last, END on the
// last when end is set. An empty value with end set gives one empty END
// frame (a half-close without a value); an empty value without end gives
// nothing, since an empty payload is never a value. The scheduler (Writer)
// does the same fragmenting lazily; this helper is for simple peers and
// tests.
func AppendData(dst []byte, link uint32, value []byte, maxFrame int, end bool) []byte {
	if maxFrame <= 0 {
		maxFrame = DefaultMaxFrameBytes
	}
	if len(value) == 0 {
		if end {
			dst = AppendEndFrame(dst, link)
		}
		return dst
	}
	for len(value) > 0 {
		n := min(len(value), maxFrame)
		var f Flags
		switch {
		case n < len(value):
			f = FlagMore
		case end:
			f = FlagEnd
		}
		dst = AppendFrame(dst, TypeData, f, link, value[:n])
		value = value[n:]
	}
	return dst
}

// Assembler joins the DATA fragments of one link direction into whole
// values and enforces the message size limit as fragments arrive, before
// it buffers them. The zero Assembler has no size limit; set Max.
//
// An Assembler is used by one goroutine (the transport's reader).
type Assembler struct {
	// Max is the largest value in bytes (max-message-bytes); 0 means no
	// limit.
	Max int

	buf     []byte
	pending bool // a value is in progress (the last frame had MORE)
}

// InProgress reports whether a value has started and not yet completed;
// the next DATA frame is then not the first of a value (it takes no
// message credit).
func (a *Assembler) InProgress() bool { return a.pending }

// Add takes the payload and flags of the next DATA frame of the link. It
// returns the completed value and done=true when the frame ends one. A
// value that fits one frame is returned without copying: it aliases
// payload (and so the Reader's buffer) and is valid until the next
// ReadFrame. A fragmented value is returned in the Assembler's buffer,
// valid until the next Add. An empty END frame with no value in progress
// returns done=false: it only ends the direction.
//
// A value over Max gives an *Error with CodeMessageTooLarge; the
// Assembler then drops the value, and the caller resets the link.
func (a *Assembler) Add(payload []byte, flags Flags) (value []byte, done bool, err error) {
	if err := a.Check(len(payload), flags); err != nil {
		return nil, false, err
	}
	more := flags&FlagMore != 0
	if !a.pending {
		if len(payload) == 0 {
			return nil, false, nil
		}
		if !more {
			return payload, true, nil
		}
		a.buf = a.buf[:0]
	}
	a.buf = append(a.buf, payload...)
	if more {
		a.pending = true
		return nil, false, nil
	}
	a.pending = false
	return a.buf, true, nil
}

// Check reports, without taking the frame, whether a DATA frame of n
// payload bytes with flags would take the value past Max: an *Error with
// CodeMessageTooLarge, after which the value in progress is dropped. The
// size is checked before credit (PROTOCOL.md section 4.4), so Receiver
// calls it ahead of the link window.
func (a *Assembler) Check(n int, flags Flags) error {
	if a.Max <= 0 {
		return nil
	}
	if !a.pending {
		if n > a.Max && flags&FlagMore == 0 {
			return Errorf(CodeMessageTooLarge, "value of %d bytes exceeds max-message-bytes (%d)", n, a.Max)
		}
		if n > a.Max {
			return Errorf(CodeMessageTooLarge, "value exceeds max-message-bytes (%d): %d bytes and more to come", a.Max, n)
		}
		return nil
	}
	if size := len(a.buf) + n; size > a.Max {
		a.Reset()
		return Errorf(CodeMessageTooLarge, "value exceeds max-message-bytes (%d): %d bytes and more to come", a.Max, size)
	}
	return nil
}

// Reset drops a value in progress (after the link is reset). It keeps the
// buffer for reuse unless it grew past 1 MiB.
func (a *Assembler) Reset() {
	a.pending = false
	if cap(a.buf) > 1<<20 {
		a.buf = nil
	}
	a.buf = a.buf[:0]
}
