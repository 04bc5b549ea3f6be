// Typed errors of the agent's inputs and machinery (src/k8s). Every error has a stable `code`, as in the other
// layers (src/ovsdb/errors.ts). Bad objects are not errors thrown at the caller: they are rejections
// (rejection.ts) that are logged, counted and skipped while everything else goes on.

export type K8sErrorCode =
  | 'K8S_BAD_LOG_LEVEL'
  | 'K8S_BAD_OPTION'
  | 'K8S_MANIFEST_READ'
  | 'K8S_KUBECONFIG'
  | 'K8S_SOURCE_STARTED'
  | 'K8S_SOURCE_STOPPED'
  | 'K8S_QUEUE_STOPPED';

export class K8sError extends Error {
  readonly code: K8sErrorCode;
  constructor(code: K8sErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}
