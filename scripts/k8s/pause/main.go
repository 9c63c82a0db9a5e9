// Command pause is the sandbox ("pause") container of Conveyor's Kubernetes test rig. No image
// registry is reachable where the rig runs, so containerd's sandbox_image is this program in a
// locally built image (scripts/k8s/build.sh). It holds the pod's namespaces open: it sleeps until
// SIGINT or SIGTERM and, being PID 1 of the sandbox, reaps children that are reparented to it
// (pods with shareProcessNamespace: true).
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range signals {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var status syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
