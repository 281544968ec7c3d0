// An independent sexpr/1 peer on quic-go (Debian's
// golang-github-lucas-clemente-quic-go-dev), for the interop tests in
// tests/interop/test_quic_interop.py. It knows the framing (a QUIC varint
// length, then that many bytes) and nothing of libsexp.
//
//	quicgo client HOST:PORT CAFILE HEX...  one stream per HEX (the raw bytes
//	    to send, then FIN); prints "frame <payload>" per answer frame, then
//	    "end", or "reset <code>"; "push <payload>" for pushes seen meanwhile
//	quicgo server HOST:PORT CERTOUT        answers every request stream with
//	    (ok (peer "quic-go") REQUEST), pushes (push! (class! :target "#peer"
//	    :add "seen")) once per connection; writes its self-signed
//	    certificate to CERTOUT; prints "listening PORT"
//	quicgo h3get ... / quicgo h3serve ...  HTTP/3 peers, see h3.go
package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"sync"
	"time"

	quic "github.com/lucas-clemente/quic-go"
)

const alpn = "sexpr/1"

func varint(n uint64) []byte {
	switch {
	case n < 1<<6:
		return []byte{byte(n)}
	case n < 1<<14:
		return []byte{0x40 | byte(n>>8), byte(n)}
	case n < 1<<30:
		return []byte{0x80 | byte(n>>24), byte(n >> 16), byte(n >> 8), byte(n)}
	default:
		b := make([]byte, 8)
		for i := 0; i < 8; i++ {
			b[i] = byte(n >> (56 - 8*i))
		}
		b[0] |= 0xc0
		return b
	}
}

func frame(payload []byte) []byte { return append(varint(uint64(len(payload))), payload...) }

// frames splits a whole stream into payloads.
func frames(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		size := 1 << (b[0] >> 6)
		if len(b) < size {
			return nil, errors.New("truncated length")
		}
		n := uint64(b[0] & 0x3f)
		for i := 1; i < size; i++ {
			n = n<<8 | uint64(b[i])
		}
		if uint64(len(b)-size) < n {
			return nil, errors.New("truncated frame")
		}
		out = append(out, b[size:size+int(n)])
		b = b[size+int(n):]
	}
	return out, nil
}

func client(addr, caFile string, requests []string) error {
	pool := x509.NewCertPool()
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	if !pool.AppendCertsFromPEM(ca) {
		return errors.New("no certificate in " + caFile)
	}
	tlsConf := &tls.Config{RootCAs: pool, NextProtos: []string{alpn}, ServerName: "localhost"}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := quic.DialAddrContext(ctx, addr, tlsConf, &quic.Config{MaxIncomingUniStreams: 100})
	if err != nil {
		return err
	}
	defer conn.CloseWithError(0, "done")
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	go func() { // pushes
		for {
			s, err := conn.AcceptUniStream(context.Background())
			if err != nil {
				return
			}
			b, _ := io.ReadAll(s)
			fs, _ := frames(b)
			mu.Lock()
			for _, f := range fs {
				fmt.Fprintf(out, "push %s\n", f)
			}
			mu.Unlock()
		}
	}()
	for _, h := range requests {
		raw, err := hex.DecodeString(h)
		if err != nil {
			return err
		}
		s, err := conn.OpenStreamSync(ctx)
		if err != nil {
			return err
		}
		s.Write(raw)
		s.Close()
		b, err := io.ReadAll(s)
		mu.Lock()
		var se *quic.StreamError
		if errors.As(err, &se) {
			fmt.Fprintf(out, "reset %d\n", se.ErrorCode)
		} else if err != nil {
			mu.Unlock()
			return err
		} else {
			fs, ferr := frames(b)
			if ferr != nil {
				mu.Unlock()
				return ferr
			}
			for _, f := range fs {
				fmt.Fprintf(out, "frame %s\n", f)
			}
			fmt.Fprintln(out, "end")
		}
		mu.Unlock()
	}
	time.Sleep(100 * time.Millisecond) // let pushes in flight arrive
	return nil
}

func selfSigned(certOut string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(certOut, pemBytes, 0o644); err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func server(addr, certOut string) error {
	cert, err := selfSigned(certOut)
	if err != nil {
		return err
	}
	tlsConf := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{alpn}}
	ln, err := quic.ListenAddr(addr, tlsConf, nil)
	if err != nil {
		return err
	}
	fmt.Printf("listening %d\n", ln.Addr().(*net.UDPAddr).Port)
	os.Stdout.Sync()
	for {
		conn, err := ln.Accept(context.Background())
		if err != nil {
			return err
		}
		go func(conn quic.Connection) {
			pushed := false
			for {
				s, err := conn.AcceptStream(context.Background())
				if err != nil {
					return
				}
				b, _ := io.ReadAll(s)
				fs, err := frames(b)
				if err != nil || len(fs) != 1 {
					s.CancelWrite(4) // bad-request
					continue
				}
				if !pushed {
					pushed = true
					if u, err := conn.OpenUniStreamSync(context.Background()); err == nil {
						u.Write(frame([]byte(`(push! (class! :target "#peer" :add "seen"))`)))
						u.Close()
					}
				}
				s.Write(frame([]byte(fmt.Sprintf(`(ok (peer "quic-go") %s)`, fs[0]))))
				s.Close()
			}
		}(conn)
	}
}

func main() {
	var err error
	switch {
	case len(os.Args) >= 4 && os.Args[1] == "client":
		err = client(os.Args[2], os.Args[3], os.Args[4:])
	case len(os.Args) == 4 && os.Args[1] == "server":
		err = server(os.Args[2], os.Args[3])
	case len(os.Args) >= 2 && os.Args[1] == "h3get":
		os.Exit(h3get(os.Args[2:]))
	case len(os.Args) == 4 && os.Args[1] == "h3serve":
		err = h3serve(os.Args[2], os.Args[3])
	case len(os.Args) >= 2 && os.Args[1] == "h3serve":
		fmt.Fprintln(os.Stderr, "usage: quicgo h3serve ADDR CERT_OUT")
		os.Exit(2)
	default:
		err = errors.New("usage: quicgo client HOST:PORT CAFILE HEX... | quicgo server HOST:PORT CERTOUT" +
			" | quicgo h3get [-X M] [-d BODY] [-H H]... CA_FILE URL... | quicgo h3serve ADDR CERT_OUT")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "quicgo:", err)
		os.Exit(1)
	}
}
