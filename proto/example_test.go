package proto_test

import (
	"fmt"
	"net"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/proto"
)

// Example runs both ends of a transport in memory: the handshake, one
// link, and one value sent under the credit the host granted. (The
// machinery that schedules frames and counts credit for a real transport
// is host/internal/flow.)
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
		grant := proto.Grant{Msgs: 16, Bytes: 1 << 20}
		hostConn.Write(proto.AppendAcceptFrame(nil, f.Link, proto.Accept{Credit: grant}))
		f, _ = r.ReadFrame()
		if uint64(len(f.Payload)) > grant.Bytes {
			got <- "the client overran its credit"
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

	link := uint32(1) // the client's first link id
	openFrame, _ := proto.AppendOpenFrame(nil, link, proto.Open{Interface: "kv", Direction: proto.DirRecv})
	clientConn.Write(openFrame)

	f, _ := r.ReadFrame()
	acc, _ := proto.ParseAccept(f.Payload, true)
	payload, _ := proto.AppendValue(nil, wel.Encoding, gene.MustParse(`(put ^key "a" 1)`))
	if uint64(len(payload)) > acc.Credit.Bytes {
		fmt.Println("no credit for the value")
		return
	}
	// One whole value, split under max-frame-bytes, ending the direction.
	clientConn.Write(proto.AppendData(nil, link, payload, wel.Limits.MaxFrameBytes, true))
	fmt.Println(<-got)
	// Output:
	// client: encoding gene-binary/1 max frame 65536
	// host: (put ^key "a" 1) on kv/data, END=true
}
