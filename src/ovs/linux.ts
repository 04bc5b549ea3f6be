// Pod interface naming on Linux nodes, as ovn-kubernetes names them: the pod's veth pair has its host end in
// the node's network namespace, plugged into br-int, named after the sandbox (infra container) id cut to the
// 15 characters a Linux interface name can hold (IFNAMSIZ 16 with the terminating NUL):
// go-controller/pkg/cni/helper_linux.go, setupInterface(): `hostIface.Name = containerID[:15]` for the default
// network. CRI sandbox ids are 64 hex digits, so 15 of them (60 bits) keep pods on one node apart.
import { OvsError } from './errors.js';

/** Longest Linux network interface name (IFNAMSIZ - 1). */
export const LINUX_IFNAME_MAX = 15;

const SANDBOX_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Checks a CRI sandbox id as written to `external_ids:sandbox` and used for the veth name. */
export function validateSandboxId(sandbox: string): void {
  if (!SANDBOX_RE.test(sandbox) || sandbox.length > 256) {
    throw new OvsError('OVS_BAD_SANDBOX', sandbox, `sandbox id "${sandbox}" must be 1..256 characters of A-Z a-z 0-9 . _ - (a CRI pod sandbox id)`);
  }
}

/** Checks a Linux interface name: 1..15 bytes, no '/', ':', whitespace, not "." or "..". */
export function validateLinuxInterfaceName(name: string): void {
  if (name.length === 0 || Buffer.byteLength(name) > LINUX_IFNAME_MAX || /[/:\s]/.test(name) || name === '.' || name === '..') {
    throw new OvsError('OVS_BAD_INTERFACE_NAME', name, `"${name}" is not a Linux interface name (1..${LINUX_IFNAME_MAX} bytes, no '/', ':' or spaces)`);
  }
}

/** The host end of the pod's veth: the first 15 characters of the sandbox id (ovn-kubernetes' rule). */
export function linuxHostVethName(sandbox: string): string {
  validateSandboxId(sandbox);
  const name = sandbox.slice(0, LINUX_IFNAME_MAX);
  validateLinuxInterfaceName(name);
  return name;
}
