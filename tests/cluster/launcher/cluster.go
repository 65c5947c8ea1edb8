package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	serviceCIDR  = "10.96.0.0/12"
	serviceIP    = "10.96.0.1" // first address of serviceCIDR: the kubernetes Service
	clusterCIDR  = "10.128.0.0/9"
	issuer       = "https://kubernetes.default.svc.cluster.local"
	fakeNodeAnno = "kwok.x-k8s.io/node"
)

// components in start order; down stops them in reverse.
var components = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"}

type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

type cluster struct {
	dir      string
	bin      string
	deadline time.Time

	pki   *pki
	ports map[string]int
	procs []*proc
	api   *http.Client // admin client of the API server
	https *http.Client // verifies serving certificates against our CA, no client certificate
}

func (c *cluster) path(parts ...string) string {
	return filepath.Join(append([]string{c.dir}, parts...)...)
}

func (c *cluster) up(hosts []string) (kubeconfig string, err error) {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return "", err
	}
	if running := runningComponents(c.dir); len(running) != 0 {
		return "", fmt.Errorf("a cluster is already running in %s (%s); run tests/cluster/down %s first",
			c.dir, strings.Join(running, ", "), c.dir)
	}
	for _, name := range components {
		if _, err := os.Stat(filepath.Join(c.bin, name)); err != nil {
			return "", fmt.Errorf("missing binary %s in %s (run tests/cluster/build)", name, c.bin)
		}
	}
	stages := filepath.Join(c.bin, "kwok-stages.yaml")
	if _, err := os.Stat(stages); err != nil {
		return "", fmt.Errorf("missing %s (run tests/cluster/build)", stages)
	}
	// Ports are picked free but only taken when each component binds: in the rare case another
	// process took one in between, start again on new ports.
	for attempt := 1; ; attempt++ {
		kubeconfig, err = c.attempt(hosts, stages)
		if err == nil {
			return kubeconfig, nil
		}
		c.abort()
		if attempt == 3 || !c.portTaken() {
			return "", err
		}
		fmt.Fprintf(os.Stderr, "helmdeck-cluster: a port was taken meanwhile (%v); starting again\n", err)
	}
}

func (c *cluster) attempt(hosts []string, stages string) (string, error) {
	// A fresh state each time: stale data of a cluster that was not taken down is removed.
	c.procs = nil
	for _, sub := range []string{"etcd", "pki", "pids", "logs", "config", "kwok-home", "kubeconfig", "cluster.json"} {
		if err := os.RemoveAll(c.path(sub)); err != nil {
			return "", err
		}
	}
	for _, sub := range []string{"pids", "logs", "config", "kwok-home"} {
		if err := os.MkdirAll(c.path(sub), 0o700); err != nil {
			return "", err
		}
	}
	if err := os.WriteFile(c.path(".helmdeck-cluster"), []byte("state directory of tests/cluster/up\n"), 0o644); err != nil {
		return "", err
	}
	started := time.Now()
	if err := c.prepare(); err != nil {
		return "", err
	}
	for _, start := range []func() error{
		c.startEtcd, c.startAPIServer, c.startControllerManager, c.startScheduler,
		func() error { return c.startKwok(stages) }, c.waitSystemControllers,
	} {
		if err := start(); err != nil {
			return "", err
		}
	}
	controlPlane := time.Since(started)
	if err := c.createNodes(hosts); err != nil {
		return "", err
	}
	created := time.Since(started)
	if err := c.waitNodesReady(hosts); err != nil {
		return "", err
	}
	if err := c.writeState(); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "helmdeck-cluster: up in %.1fs (control plane %.1fs; %d nodes: created %.1fs, Ready %.1fs), API server %s\n",
		time.Since(started).Seconds(), controlPlane.Seconds(), len(hosts), (created - controlPlane).Seconds(),
		(time.Since(started) - created).Seconds(), c.apiURL(""))
	return c.path("kubeconfig"), nil
}

// portTaken tells whether a component of the failed attempt could not bind its port.
func (c *cluster) portTaken() bool {
	for _, name := range components {
		data, err := os.ReadFile(c.path("logs", name+".log"))
		if err == nil && strings.Contains(string(data), "address already in use") {
			return true
		}
	}
	return false
}

// prepare makes the PKI, picks the ports and writes the kubeconfigs and component configs.
func (c *cluster) prepare() error {
	var err error
	c.pki, err = newPKI(net.ParseIP(serviceIP))
	if err != nil {
		return fmt.Errorf("make certificates: %w", err)
	}
	if err := c.pki.write(c.path("pki")); err != nil {
		return err
	}
	names := []string{"etcd-client", "etcd-peer", "apiserver", "controller-manager", "scheduler", "kwok"}
	ports, err := freePorts(len(names))
	if err != nil {
		return fmt.Errorf("pick free ports: %w", err)
	}
	c.ports = map[string]int{}
	for i, n := range names {
		c.ports[n] = ports[i]
	}
	pool := x509.NewCertPool()
	pool.AddCert(c.pki.ca.cert)
	adminCert, err := tls.X509KeyPair(c.pki.admin.certPEM, c.pki.admin.keyPEM)
	if err != nil {
		return err
	}
	c.api = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{adminCert}},
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 32,
	}}
	c.https = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
	}}
	server := fmt.Sprintf("https://127.0.0.1:%d", c.ports["apiserver"])
	kubeconfigs := []struct {
		file string
		user string
		kp   keyPair
	}{
		{c.path("kubeconfig"), "kubernetes-admin", c.pki.admin},
		{c.path("config", "controller-manager.kubeconfig"), "system:kube-controller-manager", c.pki.controller},
		{c.path("config", "scheduler.kubeconfig"), "system:kube-scheduler", c.pki.scheduler},
		{c.path("config", "kwok.kubeconfig"), "kwok-controller", c.pki.kwok},
	}
	for _, k := range kubeconfigs {
		if err := writeKubeconfig(k.file, server, c.pki.ca.certPEM, k.user, k.kp); err != nil {
			return err
		}
	}
	scheduler := fmt.Sprintf(`apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: %q
  qps: 200
  burst: 400
leaderElection:
  leaderElect: false
`, c.path("config", "scheduler.kubeconfig"))
	return os.WriteFile(c.path("config", "scheduler.yaml"), []byte(scheduler), 0o600)
}

func writeKubeconfig(file, server string, caPEM []byte, user string, kp keyPair) error {
	b64 := base64.StdEncoding.EncodeToString
	doc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: helmdeck-test
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: %s
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: helmdeck-test
  context:
    cluster: helmdeck-test
    user: %s
current-context: helmdeck-test
`, server, b64(caPEM), user, b64(kp.certPEM), b64(kp.keyPEM), user)
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, []byte(doc), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// start runs one component in a session of its own (so that signals sent to the caller's process
// group do not reach it) with its output in DIR/logs/NAME.log, and records its PID.
func (c *cluster) start(name string, args []string, env []string) (*proc, error) {
	logf, err := os.OpenFile(c.path("logs", name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	c.procs = append(c.procs, p)
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	st, err := startTime(cmd.Process.Pid)
	if err != nil {
		return nil, fmt.Errorf("%s exited at once; see %s", name, c.path("logs", name+".log"))
	}
	record := fmt.Sprintf("%d %s\n", cmd.Process.Pid, st)
	if err := os.WriteFile(c.path("pids", name), []byte(record), 0o644); err != nil {
		return nil, err
	}
	return p, nil
}

// startTime is field 22 of /proc/PID/stat: with the PID it names one process for good.
func startTime(pid int) (string, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", err
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", errors.New("unreadable /proc stat")
	}
	fields := strings.Fields(s[i+1:])
	// fields[0] is field 3 (state); field 22 is fields[19].
	if len(fields) < 20 {
		return "", errors.New("short /proc stat")
	}
	if fields[0] == "Z" || fields[0] == "X" {
		return "", errors.New("process has exited")
	}
	return fields[19], nil
}

// runningComponents lists the components of DIR/pids whose recorded processes still run.
func runningComponents(dir string) []string {
	var running []string
	for _, name := range components {
		data, err := os.ReadFile(filepath.Join(dir, "pids", name))
		if err != nil {
			continue
		}
		f := strings.Fields(string(data))
		if len(f) != 2 {
			continue
		}
		pid, err := strconv.Atoi(f[0])
		if err != nil {
			continue
		}
		if st, err := startTime(pid); err == nil && st == f[1] {
			running = append(running, fmt.Sprintf("%s pid %d", name, pid))
		}
	}
	return running
}

// waitFor polls check until it passes, the component exits, or the deadline passes.
func (c *cluster) waitFor(p *proc, what string, check func() error) error {
	return c.waitEvery(p, what, 100*time.Millisecond, check)
}

func (c *cluster) waitEvery(p *proc, what string, interval time.Duration, check func() error) error {
	var last error
	for {
		if p != nil {
			select {
			case <-p.done:
				return c.failed(p, fmt.Errorf("%s exited (%v) while waiting for %s", p.name, p.err, what))
			default:
			}
		}
		if last = check(); last == nil {
			return nil
		}
		if time.Now().After(c.deadline) {
			err := fmt.Errorf("timed out waiting for %s: %v", what, last)
			if p != nil {
				return c.failed(p, err)
			}
			return err
		}
		time.Sleep(interval)
	}
}

// failed prints the end of a component's log to stderr and names the log in the error.
func (c *cluster) failed(p *proc, err error) error {
	logPath := c.path("logs", p.name+".log")
	if data, rerr := os.ReadFile(logPath); rerr == nil {
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > 25 {
			lines = lines[len(lines)-25:]
		}
		fmt.Fprintf(os.Stderr, "--- last lines of %s ---\n%s\n---\n", logPath, strings.Join(lines, "\n"))
	}
	return fmt.Errorf("%w (log: %s)", err, logPath)
}

// abort stops every started component (newest first) after a failed up; the logs stay, the
// kubeconfig of the cluster that is no more goes.
func (c *cluster) abort() {
	_ = os.Remove(c.path("kubeconfig"))
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i]
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		_ = os.Remove(c.path("pids", p.name))
	}
}

func httpGetOK(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, oneLine(string(body)))
	}
	return nil
}

func (c *cluster) startEtcd() error {
	client := fmt.Sprintf("http://127.0.0.1:%d", c.ports["etcd-client"])
	peer := fmt.Sprintf("http://127.0.0.1:%d", c.ports["etcd-peer"])
	p, err := c.start("etcd", []string{
		"--name=helmdeck-test",
		"--data-dir=" + c.path("etcd"),
		"--listen-client-urls=" + client,
		"--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=helmdeck-test=" + peer,
		"--initial-cluster-state=new",
		"--unsafe-no-fsync=true", // a throw-away test store: durability is not wanted, speed is
		"--quota-backend-bytes=8589934592",
		"--logger=zap",
		"--log-level=warn",
	}, nil)
	if err != nil {
		return err
	}
	plain := &http.Client{Timeout: 2 * time.Second}
	return c.waitFor(p, "etcd /health", func() error {
		resp, err := plain.Get(client + "/health")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var h struct {
			Health string `json:"health"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
			return err
		}
		if h.Health != "true" {
			return fmt.Errorf("etcd health %q", h.Health)
		}
		return nil
	})
}

func (c *cluster) startAPIServer() error {
	pki := c.path("pki")
	p, err := c.start("kube-apiserver", []string{
		fmt.Sprintf("--etcd-servers=http://127.0.0.1:%d", c.ports["etcd-client"]),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", c.ports["apiserver"]),
		"--tls-cert-file=" + filepath.Join(pki, "apiserver.crt"),
		"--tls-private-key-file=" + filepath.Join(pki, "apiserver.key"),
		"--client-ca-file=" + filepath.Join(pki, "ca.crt"),
		"--service-account-key-file=" + filepath.Join(pki, "sa.pub"),
		"--service-account-signing-key-file=" + filepath.Join(pki, "sa.key"),
		"--service-account-issuer=" + issuer,
		"--service-cluster-ip-range=" + serviceCIDR,
		"--authorization-mode=RBAC",
		"--requestheader-client-ca-file=" + filepath.Join(pki, "front-proxy-ca.crt"),
		"--requestheader-allowed-names=front-proxy-client",
		"--requestheader-username-headers=X-Remote-User",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--proxy-client-cert-file=" + filepath.Join(pki, "front-proxy-client.crt"),
		"--proxy-client-key-file=" + filepath.Join(pki, "front-proxy-client.key"),
		"--allow-privileged=true",
		// The kubelet endpoint of every KWOK node is the KWOK controller on 127.0.0.1.
		"--kubelet-preferred-address-types=InternalIP",
		// The only address is loopback, which Endpoints may not hold: no kubernetes Endpoints.
		"--endpoint-reconciler-type=none",
		"--profiling=false",
		"--cert-dir=" + filepath.Join(pki, "apiserver-generated"),
	}, nil)
	if err != nil {
		return err
	}
	url := fmt.Sprintf("https://127.0.0.1:%d/readyz", c.ports["apiserver"])
	return c.waitFor(p, "kube-apiserver /readyz", func() error { return httpGetOK(c.api, url) })
}

func (c *cluster) startControllerManager() error {
	pki := c.path("pki")
	kubeconfig := c.path("config", "controller-manager.kubeconfig")
	p, err := c.start("kube-controller-manager", []string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", c.ports["controller-manager"]),
		"--tls-cert-file=" + filepath.Join(pki, "serving.crt"),
		"--tls-private-key-file=" + filepath.Join(pki, "serving.key"),
		"--client-ca-file=" + filepath.Join(pki, "ca.crt"),
		"--service-account-private-key-file=" + filepath.Join(pki, "sa.key"),
		"--root-ca-file=" + filepath.Join(pki, "ca.crt"),
		"--cluster-signing-cert-file=" + filepath.Join(pki, "ca.crt"),
		"--cluster-signing-key-file=" + filepath.Join(pki, "ca.key"),
		"--use-service-account-credentials=true",
		"--controllers=*",
		"--leader-elect=false",
		"--allocate-node-cidrs=true",
		"--cluster-cidr=" + clusterCIDR,
		"--node-cidr-mask-size=24",
		"--service-cluster-ip-range=" + serviceCIDR,
		"--kube-api-qps=200",
		"--kube-api-burst=400",
		"--profiling=false",
	}, nil)
	if err != nil {
		return err
	}
	url := fmt.Sprintf("https://127.0.0.1:%d/healthz", c.ports["controller-manager"])
	return c.waitFor(p, "kube-controller-manager /healthz", func() error { return httpGetOK(c.https, url) })
}

func (c *cluster) startScheduler() error {
	pki := c.path("pki")
	kubeconfig := c.path("config", "scheduler.kubeconfig")
	p, err := c.start("kube-scheduler", []string{
		"--config=" + c.path("config", "scheduler.yaml"),
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", c.ports["scheduler"]),
		"--tls-cert-file=" + filepath.Join(pki, "serving.crt"),
		"--tls-private-key-file=" + filepath.Join(pki, "serving.key"),
		"--client-ca-file=" + filepath.Join(pki, "ca.crt"),
		"--profiling=false",
	}, nil)
	if err != nil {
		return err
	}
	url := fmt.Sprintf("https://127.0.0.1:%d/healthz", c.ports["scheduler"])
	return c.waitFor(p, "kube-scheduler /healthz", func() error { return httpGetOK(c.https, url) })
}

func (c *cluster) startKwok(stages string) error {
	pki := c.path("pki")
	stageData, err := os.ReadFile(stages)
	if err != nil {
		return err
	}
	// Options of the KWOK controller, then the Stages of the pinned KWOK release (node-initialize,
	// node-heartbeat-with-lease, pod-ready, pod-complete, pod-delete; see tests/cluster/build).
	conf := "apiVersion: config.kwok.x-k8s.io/v1alpha1\nkind: KwokConfiguration\noptions:\n" +
		"  podPlayStageParallelism: 16\n  nodePlayStageParallelism: 16\n  nodeLeaseParallelism: 16\n" +
		"---\n" + string(stageData)
	confPath := c.path("config", "kwok.yaml")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", c.ports["kwok"])
	p, err := c.start("kwok", []string{
		"--kubeconfig=" + c.path("config", "kwok.kubeconfig"),
		"--config=" + confPath,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=" + fakeNodeAnno + "=fake",
		"--node-ip=127.0.0.1",
		fmt.Sprintf("--node-port=%d", c.ports["kwok"]),
		"--server-address=" + addr,
		"--tls-cert-file=" + filepath.Join(pki, "serving.crt"),
		"--tls-private-key-file=" + filepath.Join(pki, "serving.key"),
		"--node-lease-duration-seconds=40",
	}, []string{"HOME=" + c.path("kwok-home")}) // keep ~/.kwok/kwok.yaml out
	if err != nil {
		return err
	}
	plain := &http.Client{Timeout: 2 * time.Second}
	return c.waitFor(p, "kwok /healthz", func() error { return httpGetOK(plain, "http://"+addr+"/healthz") })
}

func (c *cluster) apiURL(path string) string {
	return fmt.Sprintf("https://127.0.0.1:%d%s", c.ports["apiserver"], path)
}

// waitSystemControllers waits until the controllers the tests rely on have done their first work:
// the serviceaccount controller made default/default and the root-ca-cert-publisher made
// default/kube-root-ca.crt.
func (c *cluster) waitSystemControllers() error {
	cm := c.procByName("kube-controller-manager")
	if err := c.waitFor(cm, "ServiceAccount default/default", func() error {
		return httpGetOK(c.api, c.apiURL("/api/v1/namespaces/default/serviceaccounts/default"))
	}); err != nil {
		return err
	}
	return c.waitFor(cm, "ConfigMap default/kube-root-ca.crt", func() error {
		return httpGetOK(c.api, c.apiURL("/api/v1/namespaces/default/configmaps/kube-root-ca.crt"))
	})
}

func (c *cluster) procByName(name string) *proc {
	for _, p := range c.procs {
		if p.name == name {
			return p
		}
	}
	return nil
}

// node is a KWOK node as a kubelet would register it: only the labels the kubelet sets itself.
func node(name string) map[string]any {
	resources := map[string]string{"cpu": "64", "memory": "512Gi", "pods": "250", "ephemeral-storage": "1Ti"}
	return map[string]any{
		"apiVersion": "v1",
		"kind":       "Node",
		"metadata": map[string]any{
			"name":        name,
			"annotations": map[string]string{fakeNodeAnno: "fake"},
			"labels": map[string]string{
				"kubernetes.io/hostname": name,
				"kubernetes.io/os":       "linux",
				"kubernetes.io/arch":     "amd64",
			},
		},
		"status": map[string]any{
			"capacity":    resources,
			"allocatable": resources,
			"nodeInfo":    map[string]string{"architecture": "amd64", "operatingSystem": "linux"},
		},
	}
}

func (c *cluster) createNodes(hosts []string) error {
	if len(hosts) == 0 {
		return nil
	}
	work := make(chan string)
	errs := make(chan error, len(hosts))
	var wg sync.WaitGroup
	for range min(16, len(hosts)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range work {
				errs <- c.createNode(name)
			}
		}()
	}
	for _, h := range hosts {
		work <- h
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *cluster) createNode(name string) error {
	body, err := json.Marshal(node(name))
	if err != nil {
		return err
	}
	var last error
	for attempt := 0; attempt < 5; attempt++ {
		resp, err := c.api.Post(c.apiURL("/api/v1/nodes"), "application/json", bytes.NewReader(body))
		if err != nil {
			last = err
			time.Sleep(200 * time.Millisecond)
			continue
		}
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if resp.StatusCode == http.StatusCreated {
			return nil
		}
		last = fmt.Errorf("create node %s: %s: %s", name, resp.Status, oneLine(string(msg)))
		if resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	return last
}

type nodeList struct {
	Items []struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			Taints []struct {
				Key string `json:"key"`
			} `json:"taints"`
		} `json:"spec"`
		Status struct {
			Conditions []struct {
				Type   string `json:"type"`
				Status string `json:"status"`
			} `json:"conditions"`
		} `json:"status"`
	} `json:"items"`
}

// waitNodesReady waits until every node is Ready and the node lifecycle controller has removed its
// node.kubernetes.io/not-ready taint, so that pods can be scheduled at once.
func (c *cluster) waitNodesReady(hosts []string) error {
	if len(hosts) == 0 {
		return nil
	}
	kwok := c.procByName("kwok")
	// Listing 500 nodes ten times a second would take a core of the machine: poll less often.
	interval := 100*time.Millisecond + time.Duration(len(hosts))*time.Millisecond
	return c.waitEvery(kwok, fmt.Sprintf("%d nodes Ready", len(hosts)), interval, func() error {
		resp, err := c.api.Get(c.apiURL("/api/v1/nodes"))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("list nodes: %s", resp.Status)
		}
		var list nodeList
		if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
			return err
		}
		ready := map[string]bool{}
		for _, n := range list.Items {
			ok := false
			for _, cond := range n.Status.Conditions {
				if cond.Type == "Ready" && cond.Status == "True" {
					ok = true
				}
			}
			for _, t := range n.Spec.Taints {
				if strings.HasPrefix(t.Key, "node.kubernetes.io/") {
					ok = false
				}
			}
			ready[n.Metadata.Name] = ok
		}
		var waiting []string
		for _, h := range hosts {
			if !ready[h] {
				waiting = append(waiting, h)
			}
		}
		if len(waiting) != 0 {
			sort.Strings(waiting)
			if len(waiting) > 5 {
				waiting = append(waiting[:5], fmt.Sprintf("and %d more", len(waiting)-5))
			}
			return fmt.Errorf("not ready: %s", strings.Join(waiting, ", "))
		}
		return nil
	})
}

// writeState records what tests may want besides the kubeconfig.
func (c *cluster) writeState() error {
	pids := map[string]int{}
	for _, p := range c.procs {
		pids[p.name] = p.cmd.Process.Pid
	}
	state := map[string]any{
		"server": c.apiURL(""),
		"ports":  c.ports,
		"pids":   pids,
		"bin":    c.bin,
		"logs":   c.path("logs"),
	}
	data, err := json.MarshalIndent(state, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(c.path("cluster.json"), append(data, '\n'), 0o644)
}
