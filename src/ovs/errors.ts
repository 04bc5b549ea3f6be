// Typed errors of src/ovs (the node's Open_vSwitch database, pod binding, Windows naming): one class with a
// stable `code` (as src/ovsdb/errors.ts and src/ovn/errors.ts do for their layers) and the offending `value`.
// Messages name the setting or the object and say what is expected.

/** Every code an OvsError can have. Stable: callers switch on it. */
export type OvsErrorCode =
  // a node setting (configureNode) that ovn-controller could not use
  | 'OVS_BAD_SYSTEM_ID' | 'OVS_BAD_HOSTNAME' | 'OVS_BAD_REMOTE' | 'OVS_BAD_ENCAP_TYPE' | 'OVS_BAD_ENCAP_IP'
  | 'OVS_BAD_BRIDGE_MAPPINGS' | 'OVS_BAD_DATAPATH_TYPE' | 'OVS_BAD_BRIDGE_NAME'
  // a pod binding argument
  | 'OVS_BAD_NAMESPACE' | 'OVS_BAD_POD_NAME' | 'OVS_BAD_INTERFACE_NAME' | 'OVS_BAD_MAC' | 'OVS_BAD_IP' | 'OVS_BAD_SANDBOX'
  | 'OVS_BAD_MTU' | 'OVS_BAD_OPTION'
  // a Windows (Hyper-V / HNS) port name
  | 'OVS_PORT_NAME_EMPTY' | 'OVS_PORT_NAME_TOO_LONG' | 'OVS_PORT_NAME_BAD_CHARACTER'
  // a step of a Windows pod plan (src/ovs/windows-plan.ts) that failed
  | 'OVS_WINDOWS_STEP_FAILED'
  // the database's state
  | 'OVS_WRONG_DATABASE' | 'OVS_PORT_CONFLICT' | 'OVS_NO_BRIDGE' | 'OVS_NO_OFPORT' | 'OVS_GAVE_UP';

/** A node setting, pod binding argument or Windows name that cannot be used, or a node database state that stops the call. */
export class OvsError extends Error {
  readonly code: OvsErrorCode;
  /** The offending value (a setting, a name), when there is one. */
  readonly value: unknown;
  constructor(code: OvsErrorCode, value: unknown, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OvsError';
    this.code = code;
    this.value = value;
  }
}
