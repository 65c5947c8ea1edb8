// Command etcd is the etcd server of go.etcd.io/etcd/server/v3, built from the version pinned in
// go.mod. It exists because the root module go.etcd.io/etcd/v3 cannot be installed directly (its
// go.mod uses directory replaces).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
