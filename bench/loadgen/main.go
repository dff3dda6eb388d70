// Command loadgen sends HTTP requests to one URL from a fixed number of kept-alive connections for a fixed
// time and prints requests/s and latency percentiles as JSON. It exists because a Python client cannot load a
// fast handler on one core without becoming the bottleneck itself (bench/perf/search_overhead_http.py uses it).
//
//	go run ./bench/loadgen -url http://127.0.0.1:8000/health -c 8 -d 3s [-method POST -body file -H 'k: v']
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

type result struct {
	Requests      int     `json:"requests"`
	Errors        int     `json:"errors"`
	Seconds       float64 `json:"seconds"`
	RequestsPerS  float64 `json:"requests_per_s"`
	P50Ms         float64 `json:"p50_ms"`
	P99Ms         float64 `json:"p99_ms"`
	FirstErrorMsg string  `json:"first_error,omitempty"`
}

func main() {
	url := flag.String("url", "", "target URL")
	method := flag.String("method", "GET", "HTTP method")
	bodyFile := flag.String("body", "", "file whose bytes are sent as the body")
	conc := flag.Int("c", 8, "connections, one request in flight on each")
	dur := flag.Duration("d", 3*time.Second, "how long to send (a bound: the program always stops)")
	warm := flag.Duration("warmup", 500*time.Millisecond, "time sent first and not counted")
	var hs headers
	flag.Var(&hs, "H", "a request header 'Name: value' (repeatable)")
	flag.Parse()
	if *url == "" || *conc < 1 || *conc > 1024 || *dur > 10*time.Minute {
		fmt.Fprintln(os.Stderr, "usage: loadgen -url URL [-c 1..1024] [-d <=10m]")
		os.Exit(2)
	}
	var body []byte
	if *bodyFile != "" {
		b, err := os.ReadFile(*bodyFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		body = b
	}
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConns: *conc, MaxIdleConnsPerHost: *conc, MaxConnsPerHost: *conc, DisableCompression: true,
	}, Timeout: 30 * time.Second}
	run := func(d time.Duration) (result, []time.Duration) {
		var mu sync.Mutex
		var all []time.Duration
		res := result{}
		stop := time.Now().Add(d)
		var wg sync.WaitGroup
		start := time.Now()
		for i := 0; i < *conc; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var mine []time.Duration
				errs, firstErr := 0, ""
				for time.Now().Before(stop) {
					req, _ := http.NewRequest(*method, *url, bytes.NewReader(body))
					for _, h := range hs {
						k, v, _ := strings.Cut(h, ":")
						req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
					}
					t := time.Now()
					resp, err := client.Do(req)
					if err == nil {
						_, err = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if err == nil && resp.StatusCode >= 300 {
							err = fmt.Errorf("status %d", resp.StatusCode)
						}
					}
					if err != nil {
						errs++
						if firstErr == "" {
							firstErr = err.Error()
						}
						continue
					}
					mine = append(mine, time.Since(t))
				}
				mu.Lock()
				all = append(all, mine...)
				res.Errors += errs
				if res.FirstErrorMsg == "" {
					res.FirstErrorMsg = firstErr
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		res.Seconds = time.Since(start).Seconds()
		res.Requests = len(all)
		return res, all
	}
	run(*warm)
	res, all := run(*dur)
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	if len(all) > 0 {
		res.RequestsPerS = float64(len(all)) / res.Seconds
		res.P50Ms = float64(all[len(all)/2].Microseconds()) / 1000
		res.P99Ms = float64(all[len(all)*99/100].Microseconds()) / 1000
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}
