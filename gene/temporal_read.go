package gene

// Dates and times (NOTATION.md section 2):
//
//	date       YYYY-MM-DD
//	time       hh:mm[:ss[.ffffff]][Z|+hh:mm|-hh:mm][[Zone/Name]]
//	date-time  date "T" time (a zone name needs an offset before it)
//
// They are recognised before numbers, so 2026-11-24 is a date and not an
// arithmetic expression. A run that has the shape but is out of range
// (2026-13-01, 24:00) is an error; a run that does not have the shape
// (12:3, 2026-1-1) falls back to a symbol.

// temporalShape reports whether run is a time or a date-time, the forms a
// glued [Zone/Name] may follow. The streaming scanner uses it to know that
// '[' continues the atom.
func temporalShape(run []byte) bool {
	var t Temporal
	switch {
	case len(run) >= 5 && run[2] == ':':
		_, ok := timeSyntax(run, &t)
		return ok
	case len(run) > 11 && run[4] == '-' && run[10] == 'T':
		_, ok := timeSyntax(run[11:], &t)
		return ok && dateSyntax(run[:10], &t)
	}
	return false
}

// temporal parses run as a date, time or date-time. ok is false when run
// does not have the shape of one. zoneOK allows a [Zone/Name] right after
// run in the input.
func (p *parser) temporal(run []byte, start int, zoneOK bool) (Value, bool, error) {
	var t Temporal
	kind := KindTime
	timePart := run
	switch {
	case run[2] == ':':
	case len(run) >= 10 && run[4] == '-' && run[7] == '-':
		if !dateSyntax(run[:10], &t) {
			return Value{}, false, nil
		}
		if len(run) == 10 {
			if err := p.checkDate(&t, start); err != nil {
				return Value{}, true, err
			}
			return Date(t), true, nil
		}
		if run[10] != 'T' {
			return Value{}, false, nil
		}
		kind = KindDateTime
		timePart = run[11:]
		if err := p.checkDate(&t, start); err != nil {
			return Value{}, true, err
		}
	default:
		return Value{}, false, nil
	}
	fracDigits, ok := timeSyntax(timePart, &t)
	if !ok {
		return Value{}, false, nil
	}
	if err := p.checkTime(&t, fracDigits, start); err != nil {
		return Value{}, true, err
	}
	if zoneOK && p.pos < len(p.data) && p.data[p.pos] == '[' {
		if kind == KindDateTime && !t.HasOffset {
			return Value{}, true, p.fail(p.pos, "'['", "", "a date-time needs a UTC offset (Z or +hh:mm) before its zone name")
		}
		if err := p.zone(&t); err != nil {
			return Value{}, true, err
		}
	}
	if kind == KindDateTime {
		return DateTime(t), true, nil
	}
	return Time(t), true, nil
}

func digits2(b []byte) (int, bool) {
	if len(b) < 2 || class[b[0]]&cDigit == 0 || class[b[1]]&cDigit == 0 {
		return 0, false
	}
	return int(b[0]-'0')*10 + int(b[1]-'0'), true
}

// dateSyntax parses exactly YYYY-MM-DD into t.
func dateSyntax(b []byte, t *Temporal) bool {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return false
	}
	hi, ok1 := digits2(b[0:])
	lo, ok2 := digits2(b[2:])
	m, ok3 := digits2(b[5:])
	d, ok4 := digits2(b[8:])
	if !(ok1 && ok2 && ok3 && ok4) {
		return false
	}
	t.Year, t.Month, t.Day = hi*100+lo, m, d
	return true
}

// timeSyntax parses hh:mm[:ss[.f+]][Z|±hh:mm] (all of b) into t, returning
// the number of fraction digits written. Ranges are checked by checkTime.
func timeSyntax(b []byte, t *Temporal) (fracDigits int, ok bool) {
	h, ok1 := digits2(b)
	if !ok1 || len(b) < 5 || b[2] != ':' {
		return 0, false
	}
	m, ok2 := digits2(b[3:])
	if !ok2 {
		return 0, false
	}
	t.Hour, t.Minute = h, m
	i := 5
	if i < len(b) && b[i] == ':' {
		s, ok := digits2(b[i+1:])
		if !ok {
			return 0, false
		}
		t.Second = s
		i += 3
		if i < len(b) && b[i] == '.' {
			i++
			f := i
			micro := 0
			for i < len(b) && class[b[i]]&cDigit != 0 {
				if i-f < 6 {
					micro = micro*10 + int(b[i]-'0')
				}
				i++
			}
			fracDigits = i - f
			if fracDigits == 0 {
				return 0, false
			}
			for k := fracDigits; k < 6; k++ {
				micro *= 10
			}
			t.Micro = micro
		}
	}
	if i == len(b) {
		return fracDigits, true
	}
	switch b[i] {
	case 'Z':
		t.HasOffset = true
		return fracDigits, i+1 == len(b)
	case '+', '-':
		if len(b)-i != 6 || b[i+3] != ':' {
			return 0, false
		}
		oh, ok1 := digits2(b[i+1:])
		om, ok2 := digits2(b[i+4:])
		if !ok1 || !ok2 {
			return 0, false
		}
		if oh > 23 || om > 59 {
			// Keep the shape; checkTime reports the range.
			t.Offset = 1 << 20
		} else {
			t.Offset = oh*60 + om
		}
		if b[i] == '-' {
			t.Offset = -t.Offset
		}
		t.HasOffset = true
		return fracDigits, true
	}
	return 0, false
}

func (p *parser) checkDate(t *Temporal, start int) error {
	bad := func(what string) error {
		return p.fail(start, "'"+string(p.data[start:p.pos])+"'", "", what+" out of range in date '"+string(p.data[start:p.pos])+"'")
	}
	if t.Month < 1 || t.Month > 12 {
		return bad("month")
	}
	if t.Day < 1 || t.Day > daysIn(t.Year, t.Month) {
		return bad("day")
	}
	return nil
}

func (p *parser) checkTime(t *Temporal, fracDigits, start int) error {
	text := string(p.data[start:p.pos])
	bad := func(what string) error {
		return p.fail(start, "'"+text+"'", "", what+" out of range in time '"+text+"'")
	}
	switch {
	case t.Hour > 23:
		return bad("hour")
	case t.Minute > 59:
		return bad("minute")
	case t.Second > 59:
		return bad("second")
	case t.Offset > 24*60 || t.Offset < -24*60:
		return bad("UTC offset")
	case fracDigits > 6:
		return p.fail(start, "'"+text+"'", "", "fraction of a second in '"+text+"' has more than 6 digits (microseconds)")
	}
	return nil
}

// zone reads a [Zone/Name] at p.pos after a time.
func (p *parser) zone(t *Temporal) error {
	data := p.data
	start := p.pos
	i := start + 1
	for i < len(data) && data[i] != ']' {
		c := data[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || class[c]&cDigit != 0 || c == '/' || c == '_' || c == '+' || c == '-' || c == '.') {
			f := quoteFound(data, i)
			return p.fail(i, f, "", "unexpected "+f+" in zone name opened at "+p.at(start)+"; zone names look like [Europe/Paris]")
		}
		i++
	}
	if i >= len(data) {
		e := p.incomplete(len(data), "unexpected end of input in zone name opened at "+p.at(start)+"; expected ']'")
		e.Expected = "']'"
		return e
	}
	if i == start+1 {
		return p.fail(start, "'[]'", "", "empty zone name")
	}
	if i-start-1 > p.lim.MaxStringBytes {
		return p.limit("MaxStringBytes", p.lim.MaxStringBytes, start)
	}
	t.Zone = p.str(data[start+1 : i])
	p.pos = i + 1
	return nil
}
