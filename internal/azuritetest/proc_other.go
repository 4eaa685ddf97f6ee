//go:build !unix

package azuritetest

import "os/exec"

// binaryName is npm's shim on Windows.
const binaryName = "azurite-blob.cmd"

func ownProcessGroup(*exec.Cmd) {}

func killProcessGroup(cmd *exec.Cmd) {
	_ = cmd.Process.Kill()
}
