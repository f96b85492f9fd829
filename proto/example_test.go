package proto_test

import (
	"context"
	"fmt"
	"net"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/proto"
)

// Example runs both ends of a transport in memory: the handshake, one
// link, and one value sent through the client's Scheduler under the
// credit the host granted.
func Example() {
	clientConn, hostConn := net.Pipe()
	defer clientConn.Close()
	got := make(chan string, 1)

	// The host: handshake, accept the link, read one value.
	go func() {
		defer hostConn.Close()
		r := proto.NewReader(hostConn)
		_, wel, err := proto.HostHandshake(r, hostConn, proto.Config{Name: "example-host"})
		if err != nil {
			got <- err.Error()
			return
		}
		f, _ := r.ReadFrame()
		open, err := proto.ParseOpen(f.Payload, proto.SideClient)
		if err != nil {
			got <- err.Error()
			return
		}
		win := proto.NewWindow(proto.WindowConfig{InitialMsgs: 16, InitialBytes: 1 << 20})
		hostConn.Write(proto.AppendAcceptFrame(nil, f.Link, proto.Accept{Credit: win.Limits()}))
		f, _ = r.ReadFrame()
		if err := win.Receive(len(f.Payload), true); err != nil {
			got <- err.Error()
			return
		}
		v, err := proto.DecodeValue(wel.Encoding, f.Payload, wel.Limits.Gene())
		if err != nil {
			got <- err.Error()
			return
		}
		got <- fmt.Sprintf("host: %s on %s/%s, END=%v", gene.Format(v), open.Interface, open.Sub, f.Flags&proto.FlagEnd != 0)
	}()

	// The client.
	r := proto.NewReader(clientConn)
	wel, err := proto.ClientHandshake(r, clientConn, proto.NewHello(proto.Config{Name: "example-client"}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("client: encoding", wel.Encoding, "max frame", wel.Limits.MaxFrameBytes)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sched := proto.NewScheduler(proto.SchedulerConfig{MaxFrameBytes: wel.Limits.MaxFrameBytes})
	go sched.Run(ctx, clientConn) // the transport's one writer goroutine

	ids := proto.NewLinkIDs(proto.SideClient)
	link, _ := ids.Next()
	openFrame, _ := proto.AppendOpenFrame(nil, link, proto.Open{Interface: "kv", Direction: proto.DirRecv})
	sched.SendControl(openFrame)

	f, _ := r.ReadFrame()
	acc, _ := proto.ParseAccept(f.Payload, true)
	credit := proto.NewCredit(acc.Credit)

	payload, _ := proto.AppendValue(nil, wel.Encoding, gene.MustParse(`(put ^key "a" 1)`))
	if err := credit.Take(ctx, len(payload)); err != nil {
		fmt.Println(err)
		return
	}
	sched.Send(ctx, link, payload, true)
	fmt.Println(<-got)
	// Output:
	// client: encoding gene-binary/1 max frame 65536
	// host: (put ^key "a" 1) on kv/data, END=true
}
