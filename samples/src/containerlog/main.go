// Command containerlog rewraps a process's stderr log (e.g. gctrace.log) the
// way container runtimes store it, for heapscope's log-embedded evidence:
//
//	containerlog -cri OUT.log -docker OUT.log IN.log
//
// CRI (Kubernetes, containerd/CRI-O): "<RFC3339Nano> stderr F <line>"; a
// line longer than -max bytes is split into "P" (partial) records followed by
// a final "F" record, as the kubelet does at 16 KiB.
// Docker json-file: {"log":"<line>\n","stream":"stderr","time":"<RFC3339Nano>"}.
//
// Timestamps start at 2024-05-01T10:00:00.123456789Z and increase by a fixed
// 1.000271 ms per line so the output is deterministic.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"time"
)

func main() {
	cri := flag.String("cri", "", "write the CRI form here")
	docker := flag.String("docker", "", "write the Docker json-file form here")
	max := flag.Int("max", 16384, "CRI: longest record before splitting into partials")
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: containerlog -cri OUT -docker OUT IN")
	}
	in, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		log.Fatal(err)
	}
	var lines []string
	for start := 0; start < len(in); {
		end := start
		for end < len(in) && in[end] != '\n' {
			end++
		}
		lines = append(lines, string(in[start:end]))
		start = end + 1
	}
	t := time.Date(2024, 5, 1, 10, 0, 0, 123456789, time.UTC)
	step := 1000271 * time.Nanosecond
	cf, df := create(*cri), create(*docker)
	cw, dw := bufio.NewWriter(cf), bufio.NewWriter(df)
	for _, line := range lines {
		ts := t.Format(time.RFC3339Nano)
		rest := line
		for len(rest) > *max {
			fmt.Fprintf(cw, "%s stderr P %s\n", ts, rest[:*max])
			rest = rest[*max:]
		}
		fmt.Fprintf(cw, "%s stderr F %s\n", ts, rest)
		rec, _ := json.Marshal(struct {
			Log    string `json:"log"`
			Stream string `json:"stream"`
			Time   string `json:"time"`
		}{line + "\n", "stderr", ts})
		dw.Write(rec)
		dw.WriteByte('\n')
		t = t.Add(step)
	}
	for _, w := range []*bufio.Writer{cw, dw} {
		if err := w.Flush(); err != nil {
			log.Fatal(err)
		}
	}
	cf.Close()
	df.Close()
}

func create(name string) *os.File {
	f, err := os.Create(name)
	if err != nil {
		log.Fatal(err)
	}
	return f
}
