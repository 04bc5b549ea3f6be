// The Windows node side, run under node.exe (filled in by the node-side tests' operations).
import type { Operation } from './driver.js';

export const nodeOperations: Record<string, Operation> = {};
