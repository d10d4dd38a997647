// Go net/smtp (Debian golang 1.19) against each scenario.
// styles: client   = net.DialTimeout / tls.DialWithDialer + smtp.NewClient, step by step; prints err (fmt.Println(err))
//         sendmail = smtp.SendMail (STARTTLS when offered, PlainAuth); printed with log.Printf("smtp error: %v", err)
// Trust: SSL_CERT_FILE=ca.pem. Run: go run . [scenario...]
package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"time"
)

type scenario struct {
	Mode string `json:"mode"`
}

var run, out string

func env(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

func save(style, name, text string) {
	d := filepath.Join(out, "go", style)
	os.MkdirAll(d, 0o755)
	os.WriteFile(filepath.Join(d, name+".txt"), []byte(text), 0o644)
}

const host = "localhost"
const msg = "From: app@example.test\r\nTo: user@example.test\r\nSubject: capture\r\n\r\nhello\r\n"

func client(mode string, port int) error {
	addr := fmt.Sprintf("%s:%d", host, port)
	var conn net.Conn
	var err error
	dialer := &net.Dialer{Timeout: 4 * time.Second}
	if mode == "ssl" {
		conn, err = tls.DialWithDialer(dialer, "tcp", addr, &tls.Config{ServerName: host})
	} else {
		conn, err = dialer.Dial("tcp", addr)
	}
	if err != nil {
		return err
	}
	conn.SetDeadline(time.Now().Add(6 * time.Second))
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return err
	}
	defer c.Close()
	if strings.HasPrefix(mode, "starttls") {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return err
		}
	}
	if !strings.HasSuffix(mode, "noauth") {
		if err := c.Auth(smtp.PlainAuth("", "demo@example.test", "wrong-or-right-password", host)); err != nil {
			return err
		}
	}
	if err := c.Mail("app@example.test"); err != nil {
		return err
	}
	if err := c.Rcpt("user@example.test"); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(msg)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func main() {
	run = env("CAPTURE_RUN", "/tmp/capture/run")
	out = env("CAPTURE_OUT", "/tmp/capture/out")
	var scenarios map[string]scenario
	var ports map[string]int
	b, _ := os.ReadFile(filepath.Join(run, "scenarios.json"))
	json.Unmarshal(b, &scenarios)
	b, _ = os.ReadFile(filepath.Join(run, "ports.json"))
	json.Unmarshal(b, &ports)
	only := map[string]bool{}
	for _, a := range os.Args[1:] {
		only[a] = true
	}
	for name, sc := range scenarios {
		if len(only) > 0 && !only[name] {
			continue
		}
		if err := client(sc.Mode, ports[name]); err != nil {
			save("client", name, err.Error())
		}
		if sc.Mode != "ssl" { // smtp.SendMail has no implicit-TLS mode
			var buf bytes.Buffer
			logger := log.New(&buf, "", log.LstdFlags)
			done := make(chan error, 1)
			go func() {
				var auth smtp.Auth
				if !strings.HasSuffix(sc.Mode, "noauth") {
					auth = smtp.PlainAuth("", "demo@example.test", "wrong-or-right-password", host)
				}
				done <- smtp.SendMail(fmt.Sprintf("%s:%d", host, ports[name]), auth, "app@example.test", []string{"user@example.test"}, []byte(msg))
			}()
			select {
			case err := <-done:
				if err != nil {
					logger.Printf("smtp error: %v", err)
					save("sendmail", name, strings.TrimRight(buf.String(), "\n"))
				}
			case <-time.After(12 * time.Second): // SendMail has no timeout: it would hang (itself a finding)
			}
		}
		fmt.Println(name)
	}
}
