// Command helmdeck-cluster starts and stops a local Kubernetes control plane for helmdeck's tests:
// etcd, kube-apiserver, kube-controller-manager, kube-scheduler and the KWOK controller, all real
// binaries built by tests/cluster/build, all on 127.0.0.1 with ports chosen at start. Nodes are
// KWOK fake nodes named after the hosts of a helmdeck site file.
//
//	helmdeck-cluster up --dir DIR --bin BINDIR [--nodes SITE.yaml] [--timeout 120s]
//
// up prints the kubeconfig path as its last line and exits 0 only when the cluster is usable; on
// failure it stops what it started and leaves DIR/logs for reading. tests/cluster/down (a shell
// script, so that it needs no build) stops a cluster by the PIDs recorded in DIR/pids.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "up":
		err = cmdUp(os.Args[2:])
	case "-h", "--help", "help":
		usage()
	default:
		err = fmt.Errorf("unknown command %q (want up)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "helmdeck-cluster: %s\n", oneLine(err.Error()))
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: helmdeck-cluster up --dir DIR --bin BINDIR [--nodes SITE.yaml] [--timeout 120s]")
	os.Exit(2)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func cmdUp(args []string) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	dir := fs.String("dir", "", "state directory of the cluster")
	bin := fs.String("bin", "", "directory holding etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok")
	nodes := fs.String("nodes", "", "helmdeck site file: one KWOK node per spec.hosts[*].name")
	timeout := fs.Duration("timeout", 120*time.Second, "give up when the cluster is not usable by then")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *bin == "" || fs.NArg() != 0 {
		return errors.New("up needs --dir DIR and --bin BINDIR")
	}
	absDir, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	absBin, err := filepath.Abs(*bin)
	if err != nil {
		return err
	}
	var hosts []string
	if *nodes != "" {
		hosts, err = siteHosts(*nodes)
		if err != nil {
			return err
		}
	}
	c := &cluster{dir: absDir, bin: absBin, deadline: time.Now().Add(*timeout)}
	kubeconfig, err := c.up(hosts)
	if err != nil {
		return err
	}
	fmt.Println(kubeconfig)
	return nil
}
