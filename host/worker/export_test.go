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
