// The control channel between a Windows-leg test (Linux) and its driver under node.exe: one JSON value per line
// over a TCP connection to 127.0.0.1. bigint and Map survive the trip (OVSDB integers are bigint, maps are Map).
//
//   test -> driver   { "id": 1, "op": "listDbs", "args": {...} }
//   driver -> test   { "id": 1, "ok": <value> }  or  { "id": 1, "error": { "name", "code", "message" } }
//                    { "event": "<name>", "data": <value> }   (unsolicited: monitor updates, replica state)
import type { Socket } from 'node:net';

export interface ControlRequest { id: number; op: string; args: Record<string, unknown> }
export interface ControlError { name: string; code?: string; message: string }
export type ControlMessage =
  | { id: number; ok: unknown }
  | { id: number; error: ControlError }
  | { event: string; data: unknown }
  | { hello: { platform: string; version: string; arch: string } };

export function encodeControl(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return { $bigint: v.toString() };
    if (v instanceof Map) return { $map: [...v] };
    return v;
  });
}

export function decodeControl(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (typeof o.$bigint === 'string' && Object.keys(o).length === 1) return BigInt(o.$bigint);
      if (Array.isArray(o.$map) && Object.keys(o).length === 1) return new Map(o.$map as [unknown, unknown][]);
    }
    return v;
  });
}

/** Calls `onMessage` with each decoded line that arrives on the socket. */
export function readLines(socket: Socket, onMessage: (message: unknown) => void): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim() !== '') onMessage(decodeControl(line));
    }
  });
}

export function errorOf(err: unknown): ControlError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(err) };
}
