package main

import (
	"net/http"
	"testing"
)

// TestCrossOrigin: a page of another origin that -origins allows may call
// the API and upload files (a preflight, then the request, each with
// Access-Control-Allow-Origin); one it does not allow gets no such
// header, and its preflight is refused; without -origins any may. The
// page's own files are not offered to other origins.
func TestCrossOrigin(t *testing.T) {
	type call struct {
		method, path, origin string
		preflight            bool
		wantStatus           int
		wantAllow            string
	}
	tests := []struct {
		name    string
		origins []string
		calls   []call
	}{
		{"an allowed origin", []string{"app.example:5173"}, []call{
			{"OPTIONS", "/files", "http://app.example:5173", true, 204, "http://app.example:5173"},
			{"OPTIONS", "/api/login", "http://app.example:5173", true, 204, "http://app.example:5173"},
			{"GET", "/api/config", "http://app.example:5173", false, 200, "http://app.example:5173"},
		}},
		{"another origin", []string{"app.example:5173"}, []call{
			{"OPTIONS", "/files", "http://evil.example", true, 403, ""},
			{"GET", "/api/config", "http://evil.example", false, 200, ""},
		}},
		{"any origin without -origins", nil, []call{
			{"OPTIONS", "/files", "http://app.example", true, 204, "http://app.example"},
			{"GET", "/api/config", "http://app.example", false, 200, "http://app.example"},
			{"GET", "/", "http://app.example", false, 200, ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Origins = tt.origins
			_, addr := startServer(t, cfg)
			for _, c := range tt.calls {
				req, err := http.NewRequest(c.method, "http://"+addr+c.path, nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Origin", c.origin)
				if c.preflight {
					req.Header.Set("Access-Control-Request-Method", "POST")
					req.Header.Set("Access-Control-Request-Headers", "authorization")
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				got := resp.Header.Get("Access-Control-Allow-Origin")
				if resp.StatusCode != c.wantStatus || got != c.wantAllow {
					t.Errorf("%s %s from %s: %d, Allow-Origin %q; want %d, %q", c.method, c.path, c.origin,
						resp.StatusCode, got, c.wantStatus, c.wantAllow)
				}
				if c.preflight && c.wantStatus == 204 && resp.Header.Get("Access-Control-Allow-Headers") != "Authorization, Content-Type" {
					t.Errorf("preflight allows headers %q", resp.Header.Get("Access-Control-Allow-Headers"))
				}
			}
		})
	}
}
