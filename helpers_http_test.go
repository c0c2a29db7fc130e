package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// This file holds HTTP as clients and operators use it: plain requests,
// the accounts API, and /metrics, parsed and checked for format. See
// helpers_test.go for where the other helpers are.

// expectRefused checks a handshake was answered with status and a
// one-line body saying reason.
func expectRefused(t testing.TB, resp *http.Response, status int, reason string) {
	t.Helper()
	if resp == nil {
		t.Fatalf("got 101, want %d %q", status, reason)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status || string(body) != reason+"\n" {
		t.Fatalf("got %d %q, want %d %q", resp.StatusCode, body, status, reason+"\n")
	}
}

// get fetches path from the server at addr.
func get(t testing.TB, addr, path string) (*http.Response, string) {
	t.Helper()
	client := &http.Client{Timeout: testTimeout}
	defer client.CloseIdleConnections()
	resp, err := client.Get("http://" + addr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp, string(body)
}

// scrapeUntil scrapes s's /metrics until every sample in want has its
// value, and returns the last scrape. Counters move just after what the
// clients see, so the first scrape may come too early.
func scrapeUntil(t testing.TB, s *Server, want map[string]float64) map[string]float64 {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	var got map[string]float64
	for range 10000 {
		got = scrape(t, s.MetricsHandler())
		if matches(got, want) || time.Now().After(deadline) {
			break
		}
	}
	for name, v := range want {
		if g, ok := got[name]; !ok || g != v {
			t.Errorf("%s = %v (present: %v), want %v", name, g, ok, v)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return got
}

func matches(got, want map[string]float64) bool {
	for name, v := range want {
		if g, ok := got[name]; !ok || g != v {
			return false
		}
	}
	return true
}

// sampleLine is one sample of the text exposition format: a metric name,
// labels in braces if any, and a value.
var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-z_]+="[^"\\]*"(,[a-z_]+="[^"\\]*")*\})? (\S+)$`)

// scrape asks h, the handler main serves on -metrics-addr, for /metrics
// and parses the answer, checking the format as it goes: each sample
// follows the HELP and TYPE lines of its metric, and each histogram's
// buckets add up.
func scrape(t testing.TB, h http.Handler) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if ct := rec.Header().Get("Content-Type"); rec.Code != http.StatusOK || ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Fatalf("GET /metrics: %d, Content-Type %q", rec.Code, ct)
	}
	body := rec.Body.Bytes()
	samples := map[string]float64{}
	help, types := map[string]bool{}, map[string]string{}
	for line := range strings.Lines(string(body)) {
		line = strings.TrimSuffix(line, "\n")
		if f := strings.Fields(line); len(f) >= 4 && f[0] == "#" {
			switch f[1] {
			case "HELP":
				help[f[2]] = true
			case "TYPE":
				types[f[2]] = f[3]
			}
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("not a sample: %q", line)
		}
		v, err := strconv.ParseFloat(m[4], 64)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		family := m[1]
		if types[family] == "" {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if base, ok := strings.CutSuffix(family, suffix); ok && types[base] == "histogram" {
					family = base
				}
			}
		}
		if !help[family] || types[family] == "" {
			t.Fatalf("%q comes without HELP and TYPE lines", line)
		}
		samples[m[1]+m[2]] = v
	}
	checkHistogram(t, samples, "wschat_broadcast_seconds")
	return samples
}

// checkHistogram checks that the buckets of a histogram never decrease
// and end with +Inf, which equals its count.
func checkHistogram(t testing.TB, samples map[string]float64, name string) {
	t.Helper()
	var bounds []float64
	for k := range samples {
		if le, ok := strings.CutPrefix(k, name+`_bucket{le="`); ok && le != `+Inf"}` {
			b, err := strconv.ParseFloat(strings.TrimSuffix(le, `"}`), 64)
			if err != nil {
				t.Fatalf("%s: bucket %q", name, k)
			}
			bounds = append(bounds, b)
		}
	}
	if len(bounds) == 0 {
		t.Fatalf("%s: no buckets", name)
	}
	slices.Sort(bounds)
	prev := 0.0
	for _, b := range bounds {
		v := samples[fmt.Sprintf(`%s_bucket{le="%s"}`, name, strconv.FormatFloat(b, 'g', -1, 64))]
		if v < prev {
			t.Fatalf("%s: bucket %v is %v after %v", name, b, v, prev)
		}
		prev = v
	}
	inf := samples[name+`_bucket{le="+Inf"}`]
	if inf < prev || inf != samples[name+"_count"] {
		t.Fatalf("%s: +Inf bucket %v, count %v, last bucket %v", name, inf, samples[name+"_count"], prev)
	}
}

// status returns the status of GET path on addr.
func status(t testing.TB, addr, path string) int {
	t.Helper()
	resp, _ := get(t, addr, path)
	return resp.StatusCode
}

// apiCall posts body to path and returns the status, the decoded answer
// and the response.
func apiCall(t testing.TB, addr, path, body string) (int, map[string]string, *http.Response) {
	t.Helper()
	resp, err := http.Post("http://"+addr+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer map[string]string
	json.NewDecoder(resp.Body).Decode(&answer)
	return resp.StatusCode, answer, resp
}

// apiCallFrom is apiCall from the loopback address from, another person's.
func apiCallFrom(t testing.TB, from, addr, path, body string) (int, map[string]string, *http.Response) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}).DialContext}}
	defer client.CloseIdleConnections()
	resp, err := client.Post("http://"+addr+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer map[string]string
	json.NewDecoder(resp.Body).Decode(&answer)
	return resp.StatusCode, answer, resp
}

// register makes the account name and returns its token.
func register(t testing.TB, addr, name string) string {
	t.Helper()
	status, answer, _ := apiCall(t, addr, "/api/register", fmt.Sprintf(`{"name":%q,"password":"correct horse"}`, name))
	if status != http.StatusCreated || answer["token"] == "" || answer["name"] != name {
		t.Fatalf("register %s: %d %v", name, status, answer)
	}
	return answer["token"]
}

// bearerRequest is a request for path on the server at addr, carrying
// token as its bearer credential ("" for none).
func bearerRequest(t testing.TB, addr, method, path, token string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+addr+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// do makes req and returns the response with its body read whole.
func do(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read the body: %v", req.Method, req.URL, err)
	}
	return resp, body
}

// callJSON makes a request with token, as bearerRequest, and returns the
// response and its JSON answer (nil if it is not an object).
func callJSON(t testing.TB, addr, method, path, token string, body io.Reader) (*http.Response, map[string]any) {
	t.Helper()
	resp, b := do(t, bearerRequest(t, addr, method, path, token, body))
	var answer map[string]any
	json.Unmarshal(b, &answer)
	return resp, answer
}

// fetch GETs the URL u.
func fetch(t testing.TB, u string) (*http.Response, []byte) {
	t.Helper()
	return fetchPage(t, http.MethodGet, u)
}

// fetchPage makes one request for the URL u and returns the response
// and its whole body.
func fetchPage(t testing.TB, method, u string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}
