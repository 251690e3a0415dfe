// dnsserver runs a real third-party Go server library -- github.com/miekg/dns
// (the DNS library CoreDNS is built on), as Debian packages it in
// golang-github-miekg-dns-dev -- under light load and writes a heap dump with
// runtime/debug.WriteHeapDump, which no third-party server calls itself.
//
// What runs: an authoritative server for one zone on UDP and TCP on
// loopback, answering from an in-memory zone of dns.RR values parsed from
// zone-file text by the library (dns.NewRR); client goroutines query it with
// the library's own dns.Client for a few seconds (A, AAAA, MX, TXT, SRV and
// names that do not exist), some over TCP connections they keep open. The
// dump is written while the servers still run (their goroutines parked in
// the library's read loops) and the idle TCP clients still hold their
// connections. facts.json says what the program did (queries answered by
// type, records, goroutines) so tests can check against it.
//
// Built in GOPATH mode against /usr/share/gocode by samples/gen-thirdparty-dns.sh.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

const zone = "example.test."

// store is the zone the handler answers from.
type store struct {
	mu    sync.RWMutex
	names map[string][]dns.RR // owner name -> its records
}

var (
	zoneStore = &store{names: map[string][]dns.RR{}}
	answered  [256]int64 // queries answered, by qtype (low byte)
	nxdomain  int64
)

func (s *store) add(text string) {
	rr, err := dns.NewRR(text)
	if err != nil {
		log.Fatalf("NewRR(%q): %v", text, err)
	}
	s.mu.Lock()
	s.names[rr.Header().Name] = append(s.names[rr.Header().Name], rr)
	s.mu.Unlock()
}

func fill(nHosts int) int {
	n := 0
	add := func(format string, args ...interface{}) {
		zoneStore.add(fmt.Sprintf(format, args...))
		n++
	}
	add("%s 3600 IN SOA ns1.%s hostmaster.%s 2024010101 7200 3600 1209600 300", zone, zone, zone)
	add("%s 3600 IN NS ns1.%s", zone, zone)
	for i := 0; i < nHosts; i++ {
		h := fmt.Sprintf("host%d.%s", i, zone)
		add("%s 300 IN A 10.%d.%d.%d", h, i>>16&255, i>>8&255, i&255)
		add("%s 300 IN AAAA fd00::%x", h, i)
		if i%4 == 0 {
			add("%s 300 IN TXT \"v=spf1 ip4:10.0.0.0/8 -all\" \"host %d of %d\"", h, i, nHosts)
		}
		if i%10 == 0 {
			add("%s 300 IN MX 10 mail%d.%s", h, i/10, zone)
			add("_sip._tcp.%s 300 IN SRV 10 60 5060 %s", h, h)
		}
	}
	return n
}

func handle(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	if len(r.Question) == 1 {
		q := r.Question[0]
		zoneStore.mu.RLock()
		rrs, ok := zoneStore.names[q.Name]
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, dns.Copy(rr))
			}
		}
		zoneStore.mu.RUnlock()
		if !ok {
			m.Rcode = dns.RcodeNameError
			atomic.AddInt64(&nxdomain, 1)
		}
		atomic.AddInt64(&answered[q.Qtype&255], 1)
	}
	w.WriteMsg(m)
}

type facts struct {
	Program     string           `json:"program"`
	Library     string           `json:"library"`
	GoVersion   string           `json:"go_version"`
	GOARCH      string           `json:"goarch"`
	Records     int              `json:"records"`
	RecordTypes map[string]int   `json:"records_by_type"` // reflect.TypeOf(*rr).String() -> count
	Names       int              `json:"names"`
	Queries     map[string]int64 `json:"queries_answered"`
	NXDomain    int64            `json:"nxdomain"`
	LoadSeconds float64          `json:"load_seconds"`
	IdleTCP     int              `json:"idle_tcp_clients"`
	Goroutines  int              `json:"goroutines"`
	UDPAddr     string           `json:"udp_addr"`
	TCPAddr     string           `json:"tcp_addr"`
}

func main() {
	out := flag.String("out", "out", "directory to write heap.dump and facts.json into")
	hosts := flag.Int("hosts", 3000, "hosts in the zone")
	load := flag.Duration("load", 4*time.Second, "how long the clients query")
	clients := flag.Int("clients", 8, "querying client goroutines")
	idle := flag.Int("idle", 4, "TCP clients that keep their connection open")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	nRec := fill(*hosts)
	dns.HandleFunc(zone, handle)

	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	udp := &dns.Server{PacketConn: pc, Net: "udp"}
	tcp := &dns.Server{Listener: ln, Net: "tcp", IdleTimeout: func() time.Duration { return time.Hour }}
	for _, s := range []*dns.Server{udp, tcp} {
		s := s
		go func() {
			if err := s.ActivateAndServe(); err != nil {
				log.Printf("server: %v", err)
			}
		}()
	}

	// Load: each client asks for the records of random hosts, over UDP
	// (and every fourth over TCP), including names that do not exist.
	qtypes := []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeMX, dns.TypeTXT, dns.TypeSRV}
	stop := time.Now().Add(*load)
	var wg sync.WaitGroup
	for c := 0; c < *clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			cl := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
			addr := pc.LocalAddr().String()
			if c%4 == 3 {
				cl.Net, addr = "tcp", ln.Addr().String()
			}
			for i := c; time.Now().Before(stop); i += 7 {
				qt := qtypes[i%len(qtypes)]
				name := fmt.Sprintf("host%d.%s", i%(*hosts+*hosts/10), zone)
				if qt == dns.TypeSRV {
					name = "_sip._tcp." + name
				}
				m := new(dns.Msg)
				m.SetQuestion(name, qt)
				if _, _, err := cl.Exchange(m, addr); err != nil {
					log.Printf("client %d: %v", c, err)
				}
			}
		}(c)
	}
	wg.Wait()

	// Idle TCP clients: one exchange each, then the connection stays open
	// (the server keeps a goroutine and buffers per connection).
	var conns []*dns.Conn
	for i := 0; i < *idle; i++ {
		cl := &dns.Client{Net: "tcp"}
		conn, err := cl.Dial(ln.Addr().String())
		if err != nil {
			log.Fatal(err)
		}
		m := new(dns.Msg)
		m.SetQuestion(fmt.Sprintf("host%d.%s", i, zone), dns.TypeA)
		if _, _, err := cl.ExchangeWithConn(m, conn); err != nil {
			log.Fatal(err)
		}
		conns = append(conns, conn)
	}
	time.Sleep(200 * time.Millisecond) // the servers park in their read loops

	f := facts{Program: "dnsserver", Library: "github.com/miekg/dns (Debian golang-github-miekg-dns-dev)",
		GoVersion: runtime.Version(), GOARCH: runtime.GOARCH, Records: nRec, Names: len(zoneStore.names),
		Queries: map[string]int64{}, NXDomain: atomic.LoadInt64(&nxdomain), LoadSeconds: load.Seconds(),
		IdleTCP: len(conns), UDPAddr: pc.LocalAddr().String(), TCPAddr: ln.Addr().String()}
	f.RecordTypes = map[string]int{}
	for _, rrs := range zoneStore.names {
		for _, rr := range rrs {
			f.RecordTypes[reflect.TypeOf(rr).Elem().String()]++
		}
	}
	for qt := range answered {
		if n := atomic.LoadInt64(&answered[qt]); n > 0 {
			f.Queries[dns.TypeToString[uint16(qt)]] = n
		}
	}
	runtime.GC()
	f.Goroutines = runtime.NumGoroutine()
	fd, err := os.Create(filepath.Join(*out, "heap.dump"))
	if err != nil {
		log.Fatal(err)
	}
	debug.WriteHeapDump(fd.Fd())
	fd.Close()
	js, _ := json.MarshalIndent(f, "", "  ")
	if err := os.WriteFile(filepath.Join(*out, "facts.json"), append(js, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
	runtime.KeepAlive(conns)
	log.Printf("%d records, %v queries, dump written", nRec, f.Queries)
}
