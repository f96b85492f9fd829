package main

import (
	"context"

	"github.com/hashicorp/go-hclog"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
)

// pluginOptions are what serve hands the plugin loader.
type pluginOptions struct {
	dir, data, cache string
	log              hclog.Logger
}

// servedPlugins is the running plugin directory.
type servedPlugins struct{}

func (p *servedPlugins) close() {}

// startPlugins registers the interfaces of the plugin directory with srv.
// Until host/plugindir lands it serves the built-in echo.
func startPlugins(ctx context.Context, srv *host.Server, o pluginOptions) (*servedPlugins, error) {
	m, err := host.ParseManifest(gene.MustParse(`{^name "echo" ^version "0.0.0" ^description "sends every value back" ^direction "send+recv"}`))
	if err != nil {
		return nil, err
	}
	if err := srv.Register(m, host.Echo); err != nil {
		return nil, err
	}
	return &servedPlugins{}, nil
}
