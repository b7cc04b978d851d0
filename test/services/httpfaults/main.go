// Command httpfaults is an HTTP reverse proxy for the fault campaign (test/chaos): it forwards
// requests to one upstream (the S3 server) and answers a chosen fraction of them with the errors
// an S3 service gives under load (503 SlowDown, 500 InternalError), either instead of forwarding
// the request or after forwarding it, so that the request took effect but the client sees an
// error (the case that tests whether retries are idempotent).
//
// The Host header and every signed header pass unchanged, so SigV4 signatures stay valid.
// Control, on the same port under /__faults/ (no S3 bucket name starts with "_"):
//
//	PUT /__faults/config  {"rate": 0.1, "after_share": 0.5}   rate of injected errors, and the
//	                                                          share of those injected after
//	                                                          forwarding
//	GET /__faults/stats   {"requests": N, "before": N, "after": N}
//
// Started by test/services/faults.sh; the address it listens on is written to -addr-file.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
)

type config struct {
	Rate       float64 `json:"rate"`
	AfterShare float64 `json:"after_share"`
}

type stats struct {
	Requests uint64 `json:"requests"`
	Before   uint64 `json:"before"`
	After    uint64 `json:"after"`
}

type faults struct {
	mu    sync.Mutex
	rng   *rand.Rand
	cfg   config
	stats stats
}

type decision int

const (
	pass decision = iota
	failBefore
	failAfter
)

func (f *faults) decide() decision {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stats.Requests++
	if f.rng.Float64() >= f.cfg.Rate {
		return pass
	}
	if f.rng.Float64() < f.cfg.AfterShare {
		f.stats.After++
		return failAfter
	}
	f.stats.Before++
	return failBefore
}

// errorBody is an S3 error document; half of the injected errors are SlowDown, half InternalError.
func errorBody(n uint64) (int, string) {
	if n%2 == 0 {
		return http.StatusServiceUnavailable, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
			"<Error><Code>SlowDown</Code><Message>Please reduce your request rate. (injected by httpfaults)</Message></Error>"
	}
	return http.StatusInternalServerError, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
		"<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again. (injected by httpfaults)</Message></Error>"
}

type verdictKey struct{}

func main() {
	upstream := flag.String("upstream", "", "upstream base URL, e.g. http://127.0.0.1:9000")
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	addrFile := flag.String("addr-file", "", "file to write the listening address to")
	seed := flag.Int64("seed", 1, "seed of the fault decisions")
	flag.Parse()
	target, err := url.Parse(*upstream)
	if err != nil || target.Scheme == "" || target.Host == "" {
		log.Fatalf("httpfaults: -upstream must be a URL like http://127.0.0.1:9000, got %q", *upstream)
	}
	f := &faults{rng: rand.New(rand.NewSource(*seed))}

	proxy := &httputil.ReverseProxy{
		Director: func(r *http.Request) {
			r.URL.Scheme = target.Scheme
			r.URL.Host = target.Host
			// r.Host (the Host header the client signed) is kept.
		},
		ModifyResponse: func(resp *http.Response) error {
			if d, _ := resp.Request.Context().Value(verdictKey{}).(decision); d != failAfter {
				return nil
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			f.mu.Lock()
			code, body := errorBody(f.stats.After)
			f.mu.Unlock()
			resp.StatusCode = code
			resp.Status = fmt.Sprintf("%d %s", code, http.StatusText(code))
			resp.Body = io.NopCloser(strings.NewReader(body))
			resp.ContentLength = int64(len(body))
			resp.Header = http.Header{}
			resp.Header.Set("Content-Type", "application/xml")
			resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
			return nil
		},
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/__faults/config", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			http.Error(w, "PUT a JSON config", http.StatusMethodNotAllowed)
			return
		}
		var c config
		if err := json.NewDecoder(r.Body).Decode(&c); err != nil || c.Rate < 0 || c.Rate > 1 ||
			c.AfterShare < 0 || c.AfterShare > 1 {
			http.Error(w, "want {\"rate\": 0..1, \"after_share\": 0..1}", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.cfg = c
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/__faults/stats", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		s := f.stats
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		d := f.decide()
		if d == failBefore {
			io.Copy(io.Discard, r.Body)
			f.mu.Lock()
			code, body := errorBody(f.stats.Before)
			f.mu.Unlock()
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(code)
			io.WriteString(w, body)
			return
		}
		proxy.ServeHTTP(w, r.WithContext(contextWith(r, d)))
	})

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("httpfaults: listen %s: %v", *listen, err)
	}
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
			log.Fatalf("httpfaults: %v", err)
		}
	}
	log.Printf("httpfaults: %s -> %s", ln.Addr(), target)
	log.Fatal(http.Serve(ln, mux))
}
