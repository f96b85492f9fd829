package gene

// slab hands out exact-size slices carved from larger blocks, so that a
// decode (text or binary) costs a few allocations however many lists, maps
// and nodes it builds. Every slice handed out has cap == len, so appending
// to it copies instead of writing over its neighbour. A block is sized from
// the input still to read (each element takes at least per bytes of it), so
// blocks never outgrow what the input could fill; a request larger than a
// quarter of the most elements of one block gets an allocation of its own.
type slab[T any] struct {
	free []T
}

// take returns n zeroed elements, cap n. left is the bytes of input still
// to read, per the fewest bytes one element takes, and most the longest
// block.
func (s *slab[T]) take(n, left, per, most int) []T {
	if n > most/4 {
		return make([]T, n)
	}
	if len(s.free) < n {
		s.free = make([]T, max(n, min(left/per, most), 2))
	}
	out := s.free[:n:n]
	s.free = s.free[n:]
	return out
}

// one returns a pointer to one zeroed element, as take does.
func (s *slab[T]) one(left, per, most int) *T {
	if len(s.free) == 0 {
		s.free = make([]T, max(min(left/per, most), 2))
	}
	t := &s.free[0]
	s.free = s.free[1:]
	return t
}

// fill makes the next block exactly n elements long, for a decoder that
// counted what it needs before it starts.
func (s *slab[T]) fill(n int) { s.free = make([]T, n) }
