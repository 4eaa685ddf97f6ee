//go:build unix

package azuritetest

import (
	"os/exec"
	"syscall"
)

// binaryName is npm's shim on Unix-like systems.
const binaryName = "azurite-blob"

// ownProcessGroup lets cleanup kill node and anything it spawned in one signal.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func killProcessGroup(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
