package main

import (
	"context"
	"errors"
)

// errPending: the genehost side of a scenario waits for host.Server and
// its Go client to land on main.
var errPending = errors.New("host.Server and the Go client are not on main yet")

func genehostRoundTripTrials(ctx context.Context, b *bench, inflight int) ([]trial, error) {
	return nil, errPending
}

func genehostStreamTrials(ctx context.Context, b *bench) ([]trial, error) { return nil, errPending }

func genehostFanOutTrials(ctx context.Context, b *bench) ([]trial, error) { return nil, errPending }

func genehostIdleRun(ctx context.Context, b *bench) (float64, float64, error) {
	return 0, 0, errPending
}

func genehostFloodRun(ctx context.Context, b *bench) (float64, float64, error) {
	return 0, 0, errPending
}

func genehostReloadRun(ctx context.Context, b *bench) (float64, float64, error) {
	return 0, 0, errPending
}
