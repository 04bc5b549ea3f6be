// A forced GC for heap deltas: bench processes are not started with --expose-gc, so the flag is set at run time
// and `gc` fetched from a fresh context.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Returns the engine's `gc()`. */
export function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
