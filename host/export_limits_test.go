package host

// SetMemorySample makes s read its memory from f instead of the Go
// runtime (the transport windows are still counted), for tests.
func SetMemorySample(s *Server, f func() int64) { s.lim.mem.sample = f }
