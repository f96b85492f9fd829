package worker

import "context"

// Status returns the memory figures (KiB) of the module's current
// worker: VmSize, VmRSS, VmPeak, VmHWM.
func (m *Module) Status(ctx context.Context) (map[string]uint64, error) {
	p, err := m.worker(ctx)
	if err != nil {
		return nil, err
	}
	return p.status(ctx)
}

// Ping makes one request to the module's worker that it answers at once:
// the round trip of the pipe and the two processes, without a runtime.
func (m *Module) Ping(ctx context.Context) error {
	p, err := m.worker(ctx)
	if err != nil {
		return err
	}
	_, err = p.c.call(ctx, opPing, p.c.msg(), 0, nil)
	return err
}
