// A stand-in for prometheus-nats-exporter's varz collector, used only where the real exporter
// cannot be had (the Go module proxy refuses github.com/nats-io/prometheus-nats-exporter and
// Debian does not package it). It follows the upstream naming so the same alert rules read both:
// every numeric leaf of the server's /varz JSON becomes a gauge `gnatsd_varz_<path>` (nested keys
// joined by `_`, e.g. jetstream.stats.storage -> gnatsd_varz_jetstream_stats_storage) with the
// label server_id="<monitoring URL>". When /varz does not answer (the server stopped, an error
// status, a body that is no JSON), it serves the last values it read again, as the upstream
// collector does (its gauges keep their last values when a poll fails): the series never go
// absent and their values say nothing about whether the server is up. Only before the first
// successful read is no gnatsd_varz series exposed. NatsServerDown therefore reads the blackbox
// exporter's probe of /healthz, not these series (components/alerts/nats.ts).
//
//	nats-varz-exporter -varz -p 7777 http://nats:8222
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

var invalid = regexp.MustCompile(`[^a-zA-Z0-9_]`)

func flatten(prefix string, v interface{}, out map[string]float64) {
	switch t := v.(type) {
	case map[string]interface{}:
		for k, child := range t {
			flatten(prefix+"_"+invalid.ReplaceAllString(strings.ToLower(k), "_"), child, out)
		}
	case float64:
		out[prefix] = t
	}
}

func main() {
	varz := flag.Bool("varz", false, "collect /varz (the only collector of this stand-in)")
	port := flag.Int("p", 7777, "port to listen on")
	addr := flag.String("a", "0.0.0.0", "address to listen on")
	flag.Parse()
	if !*varz || flag.NArg() != 1 {
		log.Fatal("usage: nats-varz-exporter -varz [-p port] <monitoring URL>")
	}
	base := strings.TrimRight(flag.Arg(0), "/")
	client := &http.Client{Timeout: 5 * time.Second}
	// The last values read from /varz, served again whenever a read fails.
	var mu sync.Mutex
	last := map[string]float64{}
	read := func() (map[string]float64, error) {
		resp, err := client.Get(base + "/varz")
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			return nil, fmt.Errorf("status %d", resp.StatusCode)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, err
		}
		var doc map[string]interface{}
		if err := json.Unmarshal(body, &doc); err != nil {
			return nil, err
		}
		values := map[string]float64{}
		flatten("gnatsd_varz", doc, values)
		return values, nil
	}
	http.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fresh, err := read()
		mu.Lock()
		if err != nil {
			log.Printf("varz: %v (serving the last values read)", err)
		} else {
			last = fresh
		}
		values := last
		mu.Unlock()
		names := make([]string, 0, len(values))
		for n := range values {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(w, "# TYPE %s gauge\n%s{server_id=%q} %g\n", n, n, base, values[n])
		}
	})
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "nats-varz-exporter: /metrics")
	})
	log.Fatal(http.ListenAndServe(fmt.Sprintf("%s:%d", *addr, *port), nil))
}
