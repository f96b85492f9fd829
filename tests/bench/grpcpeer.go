package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

// The gRPC peer: a hand-declared service served over a Unix
// socket, with one codec that carries either raw bytes (gRPC measured as
// a transport, the Gene bytes passing through untouched) or the
// protobuf Order (gRPC as users run it, encoding and decoding a message).

// grpcMode picks what the gRPC peer carries.
type grpcMode int

const (
	grpcRaw   grpcMode = iota // raw bytes, the Gene binary payload
	grpcProto                 // the protobuf Order
)

func (m grpcMode) String() string {
	if m == grpcProto {
		return "gRPC protobuf"
	}
	return "gRPC raw"
}

// rawMsg is the message of the raw-bytes codec.
type rawMsg struct{ b []byte }

// benchCodec marshals *rawMsg as its bytes and *Order with the code
// protoc generated (order.pb.go).
type benchCodec struct{}

func (benchCodec) Name() string { return "bench" }

func (benchCodec) Marshal(v any) (mem.BufferSlice, error) {
	switch m := v.(type) {
	case *rawMsg:
		return mem.BufferSlice{mem.SliceBuffer(m.b)}, nil
	case *Order:
		b, err := proto.MarshalOptions{}.MarshalAppend(make([]byte, 0, 128), m)
		return mem.BufferSlice{mem.SliceBuffer(b)}, err
	case *count:
		return mem.BufferSlice{mem.SliceBuffer(m.append(nil))}, nil
	}
	return nil, fmt.Errorf("bench codec: cannot marshal %T", v)
}

func (benchCodec) Unmarshal(data mem.BufferSlice, v any) error {
	switch m := v.(type) {
	case *rawMsg:
		m.b = data.Materialize()
		return nil
	case *Order:
		return proto.Unmarshal(data.Materialize(), m)
	case *count:
		return m.parse(data.Materialize())
	}
	return fmt.Errorf("bench codec: cannot unmarshal into %T", v)
}

// count is the reply of the Sink call: how many messages the server got.
type count struct{ n uint64 }

func (c *count) append(b []byte) []byte {
	return fmt.Appendf(b, "%d", c.n)
}

func (c *count) parse(b []byte) error {
	_, err := fmt.Sscanf(string(b), "%d", &c.n)
	return err
}

// grpcServer is the service implementation; mode says what it decodes.
type grpcServer struct {
	mode grpcMode
	open atomic.Int64 // Idle streams open now
}

func (s *grpcServer) newMsg() any {
	if s.mode == grpcProto {
		return new(Order)
	}
	return new(rawMsg)
}

// echo answers with what it got: raw bytes go back untouched (the
// transport alone), a protobuf Order is decoded and encoded again.
func grpcEcho(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
	m := srv.(*grpcServer).newMsg()
	if err := dec(m); err != nil {
		return nil, err
	}
	return m, nil
}

// sink receives a client stream, decoding every message (Gene bytes with
// the Gene decoder, protobuf with the generated code), and answers the
// count.
func grpcSink(srv any, stream grpc.ServerStream) error {
	s := srv.(*grpcServer)
	var n uint64
	var raw rawMsg
	order := new(Order)
	for {
		var err error
		if s.mode == grpcProto {
			err = stream.RecvMsg(order)
		} else {
			if err = stream.RecvMsg(&raw); err == nil {
				_, err = decodeGene(raw.b)
			}
		}
		if errors.Is(err, io.EOF) {
			return stream.SendMsg(&count{n: n})
		}
		if err != nil {
			return err
		}
		n++
	}
}

// idle holds a bidirectional stream open without reading from it until
// the client goes away: an idle link for scenario 5, a consumer that
// never consumes for scenario 6.
func grpcIdle(srv any, stream grpc.ServerStream) error {
	s := srv.(*grpcServer)
	s.open.Add(1)
	defer s.open.Add(-1)
	<-stream.Context().Done()
	return nil
}

var grpcDesc = grpc.ServiceDesc{
	ServiceName: "bench.Bench",
	HandlerType: (*any)(nil),
	Methods:     []grpc.MethodDesc{{MethodName: "Echo", Handler: grpcEcho}},
	Streams: []grpc.StreamDesc{
		{StreamName: "Sink", Handler: grpcSink, ClientStreams: true},
		{StreamName: "Idle", Handler: grpcIdle, ClientStreams: true, ServerStreams: true},
	},
}

// grpcPeer is a gRPC server on a Unix socket.
type grpcPeer struct {
	mode    grpcMode
	path    string
	srv     *grpc.Server
	srvImpl *grpcServer
	done    chan error
}

// startGRPC serves the bench service on a Unix socket in dir.
func startGRPC(dir string, mode grpcMode) (*grpcPeer, error) {
	return startGRPCAt(filepath.Join(dir, fmt.Sprintf("grpc-%d.sock", mode)), mode)
}

// startGRPCAt serves the bench service on the Unix socket path.
func startGRPCAt(path string, mode grpcMode) (*grpcPeer, error) {
	p := &grpcPeer{mode: mode, path: path, done: make(chan error, 1), srvImpl: &grpcServer{mode: mode}}
	lis, err := net.Listen("unix", p.path)
	if err != nil {
		return nil, fmt.Errorf("grpc listen: %w", err)
	}
	p.srv = grpc.NewServer(grpc.ForceServerCodecV2(benchCodec{}))
	p.srv.RegisterService(&grpcDesc, p.srvImpl)
	go func() { p.done <- p.srv.Serve(lis) }()
	return p, nil
}

// Close stops the server and waits for it.
func (p *grpcPeer) Close() error {
	p.srv.Stop()
	return <-p.done
}

// dial opens one client connection (one HTTP/2 transport) to the peer.
func (p *grpcPeer) dial() (*grpc.ClientConn, error) {
	cc, err := grpc.NewClient("unix://"+p.path,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(benchCodec{})))
	if err != nil {
		return nil, fmt.Errorf("grpc dial: %w", err)
	}
	cc.Connect()
	return cc, nil
}

// request is the message the client sends each call.
func (p *grpcPeer) request() any {
	if p.mode == grpcProto {
		return payloadOrder
	}
	return &rawMsg{b: payloadBytes}
}

func (p *grpcPeer) reply() any {
	if p.mode == grpcProto {
		return new(Order)
	}
	return new(rawMsg)
}

// call makes one unary round trip on cc.
func (p *grpcPeer) call(ctx context.Context, cc *grpc.ClientConn, req, reply any) error {
	return cc.Invoke(ctx, "/bench.Bench/Echo", req, reply)
}

// sinkStream opens a client stream to Sink.
func (p *grpcPeer) sinkStream(ctx context.Context, cc *grpc.ClientConn) (grpc.ClientStream, error) {
	return cc.NewStream(ctx, &grpcDesc.Streams[0], "/bench.Bench/Sink")
}

// idleStream opens a bidirectional stream to Idle.
func (p *grpcPeer) idleStream(ctx context.Context, cc *grpc.ClientConn) (grpc.ClientStream, error) {
	return cc.NewStream(ctx, &grpcDesc.Streams[1], "/bench.Bench/Idle")
}
