// HTTP/3 peers on quic-go's http3 package (Debian's quic-go 0.29), for
// tests/host/test_h3_interop.py. They know nothing of libsexp.
//
//	quicgo h3get [-X METHOD] [-d BODY] [-H "Name: value"]... CA_FILE URL...
//	    one http3.RoundTripper (one QUIC connection per host:port, so all
//	    URLs of one server share a connection), the URLs fetched
//	    concurrently; one JSON object per URL, in argument order, on its own
//	    line: {"url","proto","status","headers":{lower-case: [values]},
//	    "body_sha256","body_len","body" (only up to 64 KiB)}, or
//	    {"url","error"}. -d without -X means POST (as curl). Exit 0 whatever
//	    the answers; 1 if CA_FILE holds no certificate; 2 on usage errors.
//	quicgo h3serve ADDR CERT_OUT
//	    HTTP/3 on UDP ADDR with an in-memory self-signed certificate (PEM
//	    written to CERT_OUT); prints "listening on PORT"; serves until
//	    SIGTERM/SIGINT, then exits 0. Routes: /hello, /echo, /big?n=N,
//	    /status/NNN, /slow?ms=N; anything else 404. /echo's JSON also has
//	    "authority" (:authority), "content_length" (the request's
//	    content-length, 0 when absent: quic-go takes both out of the
//	    headers) and "remote" (the client's address: one per connection).
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lucas-clemente/quic-go/http3"
)

const maxInlineBody = 64 << 10

// lowerHeaders turns Go's canonical header map into lower-case names, the
// way they travel in HTTP/3.
func lowerHeaders(h http.Header) map[string][]string {
	out := make(map[string][]string, len(h))
	for k, v := range h {
		k = strings.ToLower(k)
		out[k] = append(out[k], v...)
	}
	return out
}

type h3Answer struct {
	URL        string              `json:"url"`
	Proto      string              `json:"proto"`
	Status     int                 `json:"status"`
	Headers    map[string][]string `json:"headers"`
	BodySHA256 string              `json:"body_sha256"`
	BodyLen    int64               `json:"body_len"`
	Body       *string             `json:"body,omitempty"`
}

type h3Failure struct {
	URL   string `json:"url"`
	Error string `json:"error"`
}

type headerList []string

func h3usage(msg string) int {
	if msg != "" {
		fmt.Fprintln(os.Stderr, "quicgo h3get:", msg)
	}
	fmt.Fprintln(os.Stderr, `usage: quicgo h3get [-X METHOD] [-d BODY] [-H "Name: value"]... CA_FILE URL...`)
	return 2
}

func h3get(args []string) int {
	method := ""
	var body *string
	var headers headerList
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		opt := args[0]
		if len(args) < 2 {
			return h3usage(opt + " needs a value")
		}
		val := args[1]
		args = args[2:]
		switch opt {
		case "-X":
			method = val
		case "-d":
			b := val
			body = &b
		case "-H":
			if i := strings.IndexByte(val, ':'); i <= 0 {
				return h3usage("-H wants \"Name: value\", not " + strconv.Quote(val))
			}
			headers = append(headers, val)
		default:
			return h3usage("unknown option " + opt)
		}
	}
	if len(args) < 2 {
		return h3usage("")
	}
	caFile, urls := args[0], args[1:]
	if method == "" {
		method = http.MethodGet
		if body != nil {
			method = http.MethodPost
		}
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "quicgo h3get:", err)
		return 1
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		fmt.Fprintln(os.Stderr, "quicgo h3get: no certificate in", caFile)
		return 1
	}
	rt := &http3.RoundTripper{
		TLSClientConfig: &tls.Config{RootCAs: pool, NextProtos: []string{"h3"}},
		// Without this quic-go adds "accept-encoding: gzip" and unzips
		// behind our back; the tests compare bytes.
		DisableCompression: true,
	}
	defer rt.Close()

	results := make([]interface{}, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		go func(i int, u string) {
			defer wg.Done()
			results[i] = fetch(rt, method, body, headers, u)
		}(i, u)
	}
	wg.Wait()
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	for _, r := range results {
		enc.Encode(r) // one line each
	}
	return 0
}

func fetch(rt *http3.RoundTripper, method string, body *string, headers headerList, u string) interface{} {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(*body) // sets ContentLength: content-length is sent
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return h3Failure{u, err.Error()}
	}
	for _, h := range headers {
		i := strings.IndexByte(h, ':')
		name, value := strings.TrimSpace(h[:i]), strings.TrimSpace(h[i+1:])
		if strings.EqualFold(name, "host") {
			req.Host = value // becomes :authority
			continue
		}
		req.Header.Add(name, value)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return h3Failure{u, err.Error()}
	}
	defer resp.Body.Close()
	sum := sha256.New()
	var kept bytes.Buffer
	n, err := io.Copy(io.MultiWriter(sum, &limitedBuffer{&kept, maxInlineBody + 1}), resp.Body)
	if err != nil {
		return h3Failure{u, fmt.Sprintf("reading the body after %d bytes: %v", n, err)}
	}
	res := h3Answer{URL: u, Proto: resp.Proto, Status: resp.StatusCode,
		Headers: lowerHeaders(resp.Header), BodySHA256: hex.EncodeToString(sum.Sum(nil)), BodyLen: n}
	if n <= maxInlineBody {
		s := kept.String()
		res.Body = &s
	}
	return res
}

// limitedBuffer keeps the first max bytes written and swallows the rest.
type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		if len(p) <= room {
			l.buf.Write(p)
		} else {
			l.buf.Write(p[:room])
		}
	}
	return len(p), nil
}

// --- server ---------------------------------------------------------------

const bigPattern = "0123456789abcdef"

func h3mux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", "text/plain")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "not found\n")
	})
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/hello" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("content-type", "text/plain")
		w.Header().Set("x-peer", "quic-go")
		io.WriteString(w, "hello from quic-go\n")
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		out, _ := json.Marshal(map[string]interface{}{
			"method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery,
			"headers": lowerHeaders(r.Header), "body": string(b),
			// Not in r.Header: quic-go moves them to these fields.
			"authority": r.Host, "content_length": r.ContentLength,
			"remote": r.RemoteAddr, // the same for requests on one connection
		})
		w.Header().Set("content-type", "application/json")
		w.Write(append(out, '\n'))
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
		if err != nil || n < 0 || n > 64<<20 {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, "n: 0 to 67108864\n")
			return
		}
		w.Header().Set("content-type", "application/octet-stream")
		// quic-go never adds a content-length itself; this route has one,
		// /hello has none.
		w.Header().Set("content-length", strconv.FormatInt(n, 10))
		chunk := bytes.Repeat([]byte(bigPattern), 65536/len(bigPattern))
		for n > 0 {
			m := int64(len(chunk))
			if n < m {
				m = n
			}
			if _, err := w.Write(chunk[:m]); err != nil {
				return
			}
			n -= m
		}
	})
	mux.HandleFunc("/status/", func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
		if err != nil || code < 200 || code > 599 {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, "status: 200 to 599\n")
			return
		}
		w.Header().Set("content-type", "text/plain")
		w.WriteHeader(code)
		fmt.Fprintf(w, "status %d\n", code) // refused for 204 and 304
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
		if err != nil || ms < 0 || ms > 60000 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("content-type", "text/plain")
		io.WriteString(w, "slow\n")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			w = headWriter{w} // quic-go 0.29 would send the body of a HEAD
		}
		mux.ServeHTTP(w, r)
	})
}

// headWriter drops the body.
type headWriter struct{ http.ResponseWriter }

func (h headWriter) Write(p []byte) (int, error) { return len(p), nil }

func h3serve(addr, certOut string) error {
	cert, err := selfSigned(certOut)
	if err != nil {
		return err
	}
	conn, err := net.ListenPacket("udp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	srv := &http3.Server{
		Handler:   h3mux(),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}},
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(conn) }()
	fmt.Printf("listening on %d\n", conn.LocalAddr().(*net.UDPAddr).Port)
	os.Stdout.Sync()
	select {
	case <-sigs:
		srv.Close()
		return nil
	case err := <-done:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}
