package service_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
)

// containerRuntime returns podman or docker when one is installed and can
// run containers, else "" and why not.
func containerRuntime() (string, string) {
	why := "neither podman nor docker is installed"
	for _, rt := range []string{"podman", "docker"} {
		if _, err := exec.LookPath(rt); err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		out, err := exec.CommandContext(ctx, rt, "info").CombinedOutput()
		cancel()
		if err == nil {
			return rt, ""
		}
		why = fmt.Sprintf("%s is installed but cannot run containers (%s info: %v: %s)", rt, rt, err, firstLine(string(out)))
	}
	return "", why
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// TestContainerServesAgainstTheSimulator builds packaging/Containerfile and
// runs serve in it against a simulated site until /-/healthy answers, and
// the image's HEALTHCHECK command agrees. It is the one test allowed to
// skip in CI: it needs a container runtime, which CI does not have (.ci/run
// says so).
func TestContainerServesAgainstTheSimulator(t *testing.T) {
	rt, why := containerRuntime()
	if rt == "" {
		t.Skipf("CONTAINER TEST NOT RUN: no container runtime: %s", why)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	root, _ := filepath.Abs("../..")
	image := fmt.Sprintf("licmon-test:%d", os.Getpid())
	build := exec.CommandContext(ctx, rt, "build", "-f", filepath.Join(root, "packaging", "Containerfile"), "-t", image, root)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%s build: %v\n%s", rt, err, out)
	}
	t.Cleanup(func() { exec.Command(rt, "rmi", "-f", image).Run() })

	site := simtest.Start(t, sim.Options{Seed: 5, Users: 30, HistoryDays: 5})
	// The container's user (65532) must read the certificates.
	certs := t.TempDir()
	os.Chmod(certs, 0o755)
	for _, f := range []string{"client.pem", "client_key.pem", "root.pem"} {
		b, err := os.ReadFile(filepath.Join(site.CertDir, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(certs, f), b, 0o644)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	name := fmt.Sprintf("licmon-test-%d", os.Getpid())
	runArgs := []string{"run", "-d", "--name", name, "--network", "host", "-v", certs + ":/etc/licmon/certs:ro", image,
		"serve", "--server", site.URL, "--cert-dir", "/etc/licmon/certs", "--listen", addr, "--db", "/var/lib/licmon/licmon.db"}
	if out, err := exec.CommandContext(ctx, rt, runArgs...).CombinedOutput(); err != nil {
		t.Fatalf("%s run: %v\n%s", rt, err, out)
	}
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := exec.Command(rt, "logs", name).CombinedOutput()
			t.Logf("container log:\n%s", logs)
		}
		exec.Command(rt, "rm", "-f", name).Run()
	})
	url := "http://" + addr + "/-/healthy"
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve in the container never answered %s: %v", url, err)
		}
		time.Sleep(time.Second)
	}
	out, err := exec.CommandContext(ctx, rt, "exec", name, "/usr/local/bin/licmon", "service", "healthcheck", url).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "healthy") {
		t.Fatalf("healthcheck in the container: %v\n%s", err, out)
	}
}
