// The latency proxy of bench/latency_proxy.py: a relay on 127.0.0.1 that waits -latency before forwarding each
// request to one API server with the credentials given, streams the answer back, and counts what passes
// (requests, the most in flight, and per request its method, path, query, whether it asked for metadata only
// and the bytes answered). Written in Go so that relaying costs the measured tools next to no CPU: on this
// 2-core machine the Python relay took ~0.15 s of CPU in a one-second gather, which a far cluster's network
// does not take from the client.
//
// It prints its address on the first line of stdout and serves until stdin closes. Two paths of its own, never
// forwarded: GET /_latencyproxy/counts (JSON) and POST /_latencyproxy/reset.
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

type entry struct {
	Method       string `json:"method"`
	Path         string `json:"path"`
	Query        string `json:"query"`
	MetadataOnly bool   `json:"metadata_only"`
	Sent         int64  `json:"sent"`
}

type counts struct {
	Requests int      `json:"requests"`
	Peak     int      `json:"peak_in_flight"`
	Log      []*entry `json:"log"`
}

type proxy struct {
	upstream  *url.URL
	token     string
	latency   time.Duration
	transport *http.Transport

	mu       sync.Mutex
	inFlight int
	peak     int
	log      []*entry
}

// Hop-by-hop headers (RFC 9110 7.6.1) are the relay's own, on each side.
var hop = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Transfer-Encoding": true, "Te": true,
	"Trailer": true, "Upgrade": true, "Proxy-Authorization": true, "Proxy-Authenticate": true,
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/_latencyproxy/counts":
		p.mu.Lock()
		c := counts{Requests: len(p.log), Peak: p.peak, Log: p.log}
		body, err := json.Marshal(c)
		p.mu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
		return
	case "/_latencyproxy/reset":
		p.mu.Lock()
		p.peak, p.log = p.inFlight, nil
		p.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	e := &entry{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		MetadataOnly: strings.Contains(r.Header.Get("Accept"), "as=PartialObjectMetadata")}
	p.mu.Lock()
	p.log = append(p.log, e)
	p.inFlight++
	p.peak = max(p.peak, p.inFlight)
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.inFlight--
		p.mu.Unlock()
	}()
	time.Sleep(p.latency)
	sent := p.forward(w, r)
	p.mu.Lock()
	e.Sent = sent
	p.mu.Unlock()
}

// forward relays one request and returns the bytes of the answer (status line, headers, body) sent back.
func (p *proxy) forward(w http.ResponseWriter, r *http.Request) int64 {
	target := *p.upstream
	target.Path, target.RawPath, target.RawQuery = r.URL.Path, r.URL.RawPath, r.URL.RawQuery
	out, err := http.NewRequestWithContext(r.Context(), r.Method, target.String(), r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return 0
	}
	out.ContentLength = r.ContentLength
	for k, vs := range r.Header {
		if !hop[k] {
			out.Header[k] = vs
		}
	}
	if p.token != "" {
		out.Header.Set("Authorization", "Bearer "+p.token)
	}
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return 0
	}
	defer resp.Body.Close()
	sent := int64(len("HTTP/1.1 200 OK\r\n\r\n"))
	for k, vs := range resp.Header {
		if hop[k] {
			continue
		}
		w.Header()[k] = vs
		for _, v := range vs {
			sent += int64(len(k) + len(v) + 4)
		}
	}
	w.WriteHeader(resp.StatusCode)
	flusher, _ := w.(http.Flusher)
	buf := make([]byte, 64<<10)
	for {
		n, readErr := resp.Body.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return sent
			}
			sent += int64(n)
			if flusher != nil {
				flusher.Flush() // a log follows as it comes, as from the API server itself
			}
		}
		if readErr != nil {
			return sent
		}
	}
}

func main() {
	server := flag.String("server", "", "the API server's URL (loopback only)")
	caFile := flag.String("ca", "", "its CA certificate (PEM file)")
	certFile := flag.String("cert", "", "the client certificate (PEM file)")
	keyFile := flag.String("key", "", "the client key (PEM file)")
	insecure := flag.Bool("insecure", false, "skip verifying the server's certificate")
	latency := flag.Duration("latency", 25*time.Millisecond, "wait before forwarding each request")
	flag.Parse()
	token := os.Getenv("LATENCY_PROXY_TOKEN") // not a flag: a flag shows in ps

	upstream, err := url.Parse(*server)
	if err != nil || (upstream.Hostname() != "127.0.0.1" && upstream.Hostname() != "localhost") {
		log.Fatalf("latency-proxy: -server %q: the proxy only fronts a loopback API server", *server)
	}
	tlsConfig := &tls.Config{InsecureSkipVerify: *insecure} //nolint:gosec // only as the kubeconfig says
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			log.Fatalf("latency-proxy: %v", err)
		}
		tlsConfig.RootCAs = x509.NewCertPool()
		tlsConfig.RootCAs.AppendCertsFromPEM(pem)
	}
	if *certFile != "" && *keyFile != "" {
		pair, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			log.Fatalf("latency-proxy: %v", err)
		}
		tlsConfig.Certificates = []tls.Certificate{pair}
	}
	p := &proxy{upstream: upstream, token: token, latency: *latency, transport: &http.Transport{
		TLSClientConfig:     tlsConfig,
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 512, // every client connection gets its own upstream one, reused (HTTP/1.1 as before)
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true, // the client's Accept-Encoding goes upstream as it came
	}}

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatalf("latency-proxy: %v", err)
	}
	fmt.Printf("http://%s\n", listener.Addr())
	go func() {
		_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin)) // the parent went away or closed our stdin: stop
		os.Exit(0)
	}()
	log.Fatal((&http.Server{Handler: p, ReadHeaderTimeout: time.Minute}).Serve(listener))
}
