// What a controller does with an object it cannot map onto OVN (a node without a pod subnet, a row of the object's
// names made by ovn-nbctl or another controller, a subnet overlapping another node's): one log line, one
// `ovn_overlay_k8s_rejected_total{kind,reason}` count and one InputProblem event naming the object and the reason
// (through the cache, like the objects it refuses itself), then the object is skipped and nothing else is
// disturbed. The same problem found again (the periodic resync, a retry) is not reported twice; a new one is.
//
// Which errors of src/ovn are such problems (retrying cannot help until the object or the rows change) and which
// are passing failures the work queue retries (a dropped connection, a lost race) is decided here, in one place.
import type { ObjectCache } from '../cache.js';
import type { ControllerProblem } from '../events.js';
import { describeObject, type KindName } from '../kinds.js';
import type { RejectReason } from '../validation.js';
import {
  OvnInvalidAddressError, OvnInvalidFieldError, OvnInvalidNameError, OvnNotOwnedError, OvnSubnetExhaustedError, OvnSubnetOverlapError,
} from '../../ovn/errors.js';

export type ObjectProblemReason = RejectReason | ControllerProblem;

/** An object's problem: why it is skipped. */
export interface ObjectProblem {
  readonly reason: ObjectProblemReason;
  readonly message: string;
}

/** The problem an error of src/ovn stands for, or undefined for a passing failure (to be retried). */
export function problemOfError(err: unknown): ObjectProblem | undefined {
  if (err instanceof OvnNotOwnedError) return { reason: 'not-owned', message: err.message };
  if (err instanceof OvnSubnetOverlapError) return { reason: 'subnet-overlap', message: err.message };
  if (err instanceof OvnSubnetExhaustedError) return { reason: 'subnet-exhausted', message: err.message };
  if (err instanceof OvnInvalidNameError) return { reason: 'invalid-name', message: err.message };
  if (err instanceof OvnInvalidAddressError) return { reason: 'invalid-address', message: err.message };
  if (err instanceof OvnInvalidFieldError) return { reason: 'invalid-field', message: err.message };
  return undefined;
}

/** Reports each object's current problem once (see the file comment). */
export class ObjectProblems {
  private readonly current = new Map<string, string>();

  constructor(private readonly cache: ObjectCache, private readonly controller: string) {}

  /** Reports the object's problem, unless it is the one already reported. */
  report(kind: KindName, key: string, problem: ObjectProblem): void {
    const id = describeObject(kind, key);
    const text = `${problem.reason}\0${problem.message}`;
    if (this.current.get(id) === text) return;
    this.current.set(id, text);
    this.cache.report({ kind, key, reason: problem.reason, message: problem.message, origin: `controller ${this.controller}` });
  }

  /** The object maps again (or is gone): a problem found later is reported anew. */
  clear(kind: KindName, key: string): void {
    if (this.current.delete(describeObject(kind, key))) this.cache.resolved(kind, key);
  }

  /** Runs `work` for the object: a problem it throws is reported (and swallowed), success clears the object's problem,
   * any other error is thrown on for the queue to retry. Resolves with work's value, or undefined after a problem. */
  async guard<V>(kind: KindName, key: string, work: () => Promise<V>): Promise<V | undefined> {
    let value: V;
    try {
      value = await work();
    } catch (err) {
      const problem = problemOfError(err);
      if (!problem) throw err;
      this.report(kind, key, problem);
      return undefined;
    }
    this.clear(kind, key);
    return value;
  }
}
