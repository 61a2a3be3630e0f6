package qrs

import (
	"net"
	"net/http"
	"strings"
	"testing"
)

// plainHTTPDropsTLS is a plain-HTTP server that closes a connection
// starting with a TLS handshake without a word (as some servers and
// proxies do), so the client sees only EOF, and answers plain requests.
func plainHTTPDropsTLS(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				b := make([]byte, 4096) // the whole ClientHello, so closing sends FIN, not RST
				if _, err := conn.Read(b); err != nil || b[0] == 0x16 {
					return
				}
				conn.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
			}()
		}
	}()
	return ln.Addr().String()
}

// TestHTTPSToPlainHTTPServer checks that https:// to a server that speaks
// plain HTTP says so, instead of only "EOF".
func TestHTTPSToPlainHTTPServer(t *testing.T) {
	addr := plainHTTPDropsTLS(t)
	c, err := New(Config{Server: "https://" + addr, Insecure: true, Auth: AuthHeader, HeaderName: "X-User", HeaderValue: "u",
		Retries: -1, Transport: http.DefaultTransport})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.About(t.Context())
	if err == nil {
		t.Fatal("no error")
	}
	e := mustKind(t, err, KindTLS)
	if !strings.Contains(e.Hint, "speaks plain HTTP") || !strings.Contains(e.Hint, "http://") || !strings.Contains(e.Hint, "port") {
		t.Errorf("hint %q should say the server speaks plain HTTP and suggest http:// or the right port", e.Hint)
	}
}
