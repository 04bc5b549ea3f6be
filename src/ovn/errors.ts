// Typed errors of src/ovn, one class per reason with a stable `code` (as src/ovsdb/errors.ts does for the
// protocol). Messages name the object (kind and namespace/name, or table and row name) and the field.
// Failures of the OVSDB layer underneath (a dropped connection, a refused transaction) keep their Ovsdb* class.

/** Every code an OvnError can have. Stable: callers switch on it. */
export type OvnErrorCode =
  | 'OVN_INVALID_NAME'
  | 'OVN_INVALID_FIELD'
  | 'OVN_INVALID_ADDRESS'
  | 'OVN_SUBNET_OVERLAP'
  | 'OVN_SUBNET_EXHAUSTED'
  | 'OVN_NOT_FOUND'
  | 'OVN_NOT_OWNED'
  | 'OVN_CONFLICT_RETRIES_EXHAUSTED'
  | 'OVN_SYNC_TIMEOUT'
  | 'OVN_WRONG_DATABASE'
  | 'OVN_PORT_BINDING_NOT_FOUND'
  | 'OVN_TUNNEL_KEY_RANGE';

/** The base of every error src/ovn throws for a reason of its own. */
export class OvnError extends Error {
  readonly code: OvnErrorCode;
  constructor(code: OvnErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Which Kubernetes naming rule a name must follow (apimachinery's validation). */
export type KubernetesNameRule = 'dns-1123-label' | 'dns-1123-subdomain' | 'dns-1035-label';

/** A Kubernetes object name (namespace, pod, node, service, policy) that its kind does not allow. Nothing was sent. */
export class OvnInvalidNameError extends OvnError {
  constructor(
    /** The kind whose name it is ("namespace", "pod", "node", "service", "network policy"). */
    readonly kind: string,
    readonly value: string,
    readonly rule: KubernetesNameRule,
    reason: string,
  ) {
    super('OVN_INVALID_NAME', `${kind} name ${JSON.stringify(value)} is not a valid ${rule}: ${reason}`);
  }
}

/** A field of a spec that cannot be expressed in OVN (bad port, wrong family, missing subnet...). Nothing was sent. */
export class OvnInvalidFieldError extends OvnError {
  constructor(
    /** The object, e.g. "service default/web" or "node node1". */
    readonly object: string,
    /** The field, e.g. "vips[0].port". */
    readonly field: string,
    readonly value: unknown,
    /** Why the value is refused (the message without object and field). */
    readonly reason: string,
  ) {
    super('OVN_INVALID_FIELD', `${object}: ${field}: ${reason}`);
  }
}

/** Text that is not an IP address or prefix where one is required. */
export class OvnInvalidAddressError extends OvnError {
  constructor(message: string) {
    super('OVN_INVALID_ADDRESS', message);
  }
}

/** A node's subnet overlaps a subnet another node (or the join switch) already has. Nothing was sent. */
export class OvnSubnetOverlapError extends OvnError {
  constructor(readonly node: string, readonly subnet: string, readonly otherNode: string, readonly otherSubnet: string) {
    super('OVN_SUBNET_OVERLAP', `node ${node}: subnet ${subnet} overlaps ${otherSubnet} of ${otherNode}`);
  }
}

/** No free address is left in a node's subnet(s). */
export class OvnSubnetExhaustedError extends OvnError {
  constructor(message: string) {
    super('OVN_SUBNET_EXHAUSTED', message);
  }
}

/** A row a call needs does not exist (a pod's node switch, a load balancer group, a switch to attach to). */
export class OvnNotFoundError extends OvnError {
  constructor(readonly table: string, readonly rowName: string, hint = '') {
    super('OVN_NOT_FOUND', `no ${table} ${rowName}${hint ? ` (${hint})` : ''}`);
  }
}

/**
 * A row the call would change or delete exists but is not this controller's: another controller's (its
 * `k8s.ovn.org/owner-controller`), or written by another tool (ovn-nbctl, no owner at all). Left untouched.
 */
export class OvnNotOwnedError extends OvnError {
  constructor(readonly table: string, readonly rowName: string, readonly owner: string | undefined, readonly controller: string) {
    super('OVN_NOT_OWNED', `${table} ${rowName} is ${owner === undefined ? 'not owned by any controller (written by another tool, e.g. ovn-nbctl)' : `owned by controller ${owner}`}, not by ${controller}: left untouched`);
  }
}

/** Another agent kept winning the race for the same rows for every attempt. */
export class OvnConflictRetriesExhaustedError extends OvnError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('OVN_CONFLICT_RETRIES_EXHAUSTED', message, options);
  }
}

/** A replica did not hold its initial state within the sync timeout. */
export class OvnSyncTimeoutError extends OvnError {
  constructor(message: string) {
    super('OVN_SYNC_TIMEOUT', message);
  }
}

/** An OvsdbDatabase of another database was passed where OVN_Northbound/OVN_Southbound was expected. */
export class OvnWrongDatabaseError extends OvnError {
  constructor(readonly expected: string, readonly actual: string) {
    super('OVN_WRONG_DATABASE', `this OvsdbDatabase replicates ${actual}, not ${expected}`);
  }
}

/** ovn-northd has not (yet) bound a logical port in the Southbound database. */
export class OvnPortBindingNotFoundError extends OvnError {
  constructor(message: string) {
    super('OVN_PORT_BINDING_NOT_FOUND', message);
  }
}

/** A tunnel key outside the range its encapsulation can carry. */
export class OvnTunnelKeyRangeError extends OvnError {
  constructor(message: string) {
    super('OVN_TUNNEL_KEY_RANGE', message);
  }
}
