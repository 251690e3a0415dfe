// Command httpleak plants HTTP client connection leaks against an
// in-process loopback server (net/http/httptest) and writes the evidence
// and facts.json (see samples/README.md, "http-body", "http-transport"):
//
//   - -variant body: main.fetchStatus makes 60 GETs through
//     http.DefaultClient and never closes the response bodies, so every
//     request opens a new connection: 60 persistConns, each with a readLoop
//     waiting in select for the body to be closed and a writeLoop;
//   - -variant transport: main.fetchWithNewTransport makes 40 GETs, each
//     with a new http.Transport, reading and closing the body: 40 idle
//     persistConns in 40 Transports that nobody will reuse, each readLoop
//     waiting on the socket (IO wait).
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"time"

	"heapscope/samples/internal/evidence"
)

const (
	bodySize      = 8 << 10
	nBody         = 60
	nTransport    = 40
	readLoopFn    = "net/http.(*persistConn).readLoop"
	writeLoopFn   = "net/http.(*persistConn).writeLoop"
	serveFn       = "net/http.(*conn).serve"
	dialConnFn    = "net/http.(*Transport).dialConn"
	serverServeFn = "net/http.(*Server).Serve"
)

var (
	variant = flag.String("variant", "body", "body (bodies never closed) or transport (a new Transport per request)")
	server  *httptest.Server
)

// fetchStatus returns the status code and forgets the body: the bug.
//
//go:noinline
func fetchStatus(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		log.Fatal(err)
	}
	return resp.StatusCode
}

// fetchWithNewTransport reads the body properly, through a Transport made
// for this one request and never closed: its idle connection stays.
//
//go:noinline
func fetchWithNewTransport(url string) int {
	client := &http.Client{Transport: &http.Transport{}}
	resp, err := client.Get(url)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		log.Fatal(err)
	}
	return resp.StatusCode
}

// waitFor polls the goroutine dump until each function has want goroutines
// in the state; it reports false after 10 s.
func waitFor(want map[string]string, n int) bool {
	for try := 0; try < 1000; try++ {
		ok := true
		blocks := strings.Split(evidence.GoroutineText(), "\n\n")
		for fn, state := range want {
			k := 0
			for _, b := range blocks {
				if strings.Contains(b, "\n"+fn+"(") && strings.Contains(b, "["+state) {
					k++
				}
			}
			ok = ok && k == n
		}
		if ok {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

type facts struct {
	evidence.Common
	Variant         string  `json:"variant"`
	Requests        int     `json:"requests"`
	Site            string  `json:"site"` // the function making the requests
	PersistConns    int     `json:"persist_conns"`
	PersistConnType string  `json:"persist_conn_type"`
	PersistConnSize uintptr `json:"persist_conn_size"`
	Transports      int     `json:"transports"`  // Transports holding them
	BodiesOpen      int     `json:"bodies_open"` // responses whose body was never closed
	BodySize        int     `json:"body_size"`   // bytes the server sends per response
	ServerURL       string  `json:"server_url"`
}

func main() {
	var f facts
	evidence.Run("httpleak", &f, evidence.Options{}, func(c *evidence.Case) {
		body := strings.Repeat("x", bodySize)
		server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, body)
		}))
		f.Variant, f.ServerURL, f.BodySize = *variant, server.URL, bodySize
		pc := reflect.TypeOf(http.Transport{})
		if fld, ok := pc.FieldByName("idleConn"); ok {
			t := fld.Type.Elem().Elem().Elem() // map[connectMethodKey][]*persistConn -> persistConn
			f.PersistConnType, f.PersistConnSize = "net/http."+t.Name(), t.Size()
		}
		var n int
		var readState string
		switch *variant {
		case "body":
			n, readState = nBody, "select"
			for i := 0; i < n; i++ {
				fetchStatus(server.URL)
			}
			f.Site, f.Transports, f.BodiesOpen = "main.fetchStatus", 1, n
		case "transport":
			n, readState = nTransport, "IO wait"
			for i := 0; i < n; i++ {
				fetchWithNewTransport(server.URL)
			}
			f.Site, f.Transports = "main.fetchWithNewTransport", n
		default:
			log.Fatalf("unknown -variant %q", *variant)
		}
		f.Requests, f.PersistConns = n, n
		if !waitFor(map[string]string{readLoopFn: readState, writeLoopFn: "select", serveFn: "IO wait"}, n) {
			log.Printf("warning: goroutines did not settle")
		}
		f.Goroutines = []evidence.GoroutineFact{
			{Function: readLoopFn, Count: n, State: readState, State119: readState, CreatedBy: dialConnFn, Site: f.Site},
			{Function: writeLoopFn, Count: n, State: "select", State119: "select", CreatedBy: dialConnFn, Site: f.Site},
			{Function: serveFn, Count: n, State: "IO wait", State119: "IO wait", CreatedBy: serverServeFn,
				Retains: "the loopback server's side of each connection (httptest, in this process)"},
		}
		f.Globals, f.GlobalVars = evidence.Globals(map[string]interface{}{"main.server": &server})
		c.Snapshot()
	})
}
