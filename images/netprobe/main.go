// netprobe: the test workload of the one-node cluster (test/cluster/cluster.real.test.ts). One
// static binary, standard library only, in an image FROM scratch:
//
//	GET /                       200 "ok <hostname>"
//	GET /fetch?url=U            the body of an HTTP GET of U made from this pod (2 s timeout),
//	                            or 502 with the error: how a test checks pod-to-pod traffic
//	GET /resolve?name=N         the addresses N resolves to in this pod, or 502
//	GET /write?file=F&text=T    writes T to F, reads it back, returns it (a volume check)
//	GET /read?file=F            the content of F
//	GET /log?text=T&n=N         prints T to standard output N times (default 1): the pod's log
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	addr := ":8080"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	host, _ := os.Hostname()
	fail := func(w http.ResponseWriter, err error) {
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintln(w, err)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "ok %s\n", host)
	})
	// A new connection each time: a kept-alive one is conntrack-established and outlives a
	// NetworkPolicy applied after it, so a test would see the old connection, not the policy.
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	http.HandleFunc("/fetch", func(w http.ResponseWriter, r *http.Request) {
		res, err := client.Get(r.URL.Query().Get("url"))
		if err != nil {
			fail(w, err)
			return
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
		w.WriteHeader(res.StatusCode)
		w.Write(body)
	})
	http.HandleFunc("/resolve", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		addrs, err := net.DefaultResolver.LookupHost(ctx, r.URL.Query().Get("name"))
		if err != nil {
			fail(w, err)
			return
		}
		fmt.Fprintln(w, strings.Join(addrs, " "))
	})
	http.HandleFunc("/write", func(w http.ResponseWriter, r *http.Request) {
		file := r.URL.Query().Get("file")
		if err := os.WriteFile(file, []byte(r.URL.Query().Get("text")), 0o644); err != nil {
			fail(w, err)
			return
		}
		back, err := os.ReadFile(file)
		if err != nil {
			fail(w, err)
			return
		}
		w.Write(back)
	})
	http.HandleFunc("/read", func(w http.ResponseWriter, r *http.Request) {
		back, err := os.ReadFile(r.URL.Query().Get("file"))
		if err != nil {
			fail(w, err)
			return
		}
		w.Write(back)
	})
	http.HandleFunc("/log", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil || n < 1 {
			n = 1
		}
		text := r.URL.Query().Get("text")
		for i := 0; i < n; i++ {
			fmt.Println(text)
		}
		fmt.Fprintf(w, "%d\n", n)
	})
	srv := &http.Server{Addr: addr, ReadHeaderTimeout: 5 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
