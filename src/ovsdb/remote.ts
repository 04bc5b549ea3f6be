// Remote strings as Open vSwitch writes them, and the connected byte stream for each:
//   tcp:IP[:PORT]   ssl:IP[:PORT]   (IPv6 in brackets: tcp:[::1]:6640; default port 6640)
//   unix:PATH       (on Windows a named pipe, named the way OVS names it; see windowsPipeName)
// and comma-separated lists of them. Passive remotes (ptcp:, pssl:, punix:) are for servers and are refused.
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { OvsdbConnectError, OvsdbRemoteError } from './errors.js';
import { connectTls, type TlsOptions } from './tls.js';

export type { TlsOptions } from './tls.js';

export const DEFAULT_OVSDB_PORT = 6640;

export type Remote =
  | { readonly kind: 'tcp' | 'ssl'; readonly host: string; readonly port: number; readonly text: string }
  | { readonly kind: 'unix'; readonly path: string; readonly text: string };

/** Parses one remote (`tcp:127.0.0.1:6641`, `ssl:[::1]`, `unix:/run/ovn/ovnnb_db.sock`). */
export function parseRemote(text: string): Remote {
  const s = text.trim();
  const colon = s.indexOf(':');
  if (colon < 0) throw new OvsdbRemoteError(text, 'expected "tcp:", "ssl:" or "unix:"');
  const method = s.slice(0, colon);
  const rest = s.slice(colon + 1);
  switch (method) {
    case 'unix':
      if (rest === '') throw new OvsdbRemoteError(text, 'empty socket path');
      return { kind: 'unix', path: rest, text: s };
    case 'tcp':
    case 'ssl': {
      let host: string;
      let portText: string | undefined;
      if (rest.startsWith('[')) {
        const end = rest.indexOf(']');
        if (end < 0) throw new OvsdbRemoteError(text, 'unclosed "[" around an IPv6 address');
        host = rest.slice(1, end);
        const after = rest.slice(end + 1);
        if (after !== '' && !after.startsWith(':')) throw new OvsdbRemoteError(text, 'expected ":PORT" after "]"');
        portText = after === '' ? undefined : after.slice(1);
        if (net.isIPv6(host) === false) throw new OvsdbRemoteError(text, `"${host}" is not an IPv6 address`);
      } else {
        const parts = rest.split(':');
        if (parts.length > 2) throw new OvsdbRemoteError(text, 'IPv6 addresses must be written in brackets, e.g. tcp:[::1]:6640');
        host = parts[0];
        portText = parts[1];
      }
      if (host === '') throw new OvsdbRemoteError(text, 'missing host');
      let port = DEFAULT_OVSDB_PORT;
      if (portText !== undefined && portText !== '') {
        if (!/^\d+$/.test(portText)) throw new OvsdbRemoteError(text, `bad port "${portText}"`);
        port = Number(portText);
        if (port < 1 || port > 65535) throw new OvsdbRemoteError(text, `port ${port} out of range`);
      }
      return { kind: method, host, port, text: s };
    }
    case 'ptcp': case 'pssl': case 'punix':
      throw new OvsdbRemoteError(text, `"${method}:" is a passive (listening) remote; a client needs tcp:, ssl: or unix:`);
    default:
      throw new OvsdbRemoteError(text, `unknown connection method "${method}:"`);
  }
}

/** Parses a comma-separated list of remotes, as OVS accepts in `--db`/`ovn-remote`. */
export function parseRemotes(list: string): Remote[] {
  const items = list.split(',').map((x) => x.trim()).filter((x) => x !== '');
  if (items.length === 0) throw new OvsdbRemoteError(list, 'no remote given');
  return items.map(parseRemote);
}

/** The OVS run directory of a Windows source build. */
export const WINDOWS_DEFAULT_RUNDIR = 'C:/openvswitch/var/run/openvswitch';
const MAX_PIPE_NAME = 256;
/** Characters no Windows file name may hold: OVS creates the file PATH before it creates PATH's pipe. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const NOT_IN_WINDOWS_PATHS = /[<>"|?*\u0000-\u001f]/;

/**
 * The named pipe OVS on Windows serves for a `unix:`/`punix:` path (lib/stream-windows.c): a path without ":"
 * is first made absolute in the OVS run directory (`runDir`, else `OVS_RUNDIR` when set and not empty, else
 * C:/openvswitch/var/run/openvswitch); then `\\.\pipe\` + that path with every "\" and "/" removed.
 * `C:\ProgramData\openvswitch\db.sock` -> `\\.\pipe\C:ProgramDataopenvswitchdb.sock`.
 * @throws OvsdbRemoteError for a path no OVS server can serve: a character Windows file names cannot hold
 *   (OVS's `punix:` creates the file first and fails), or a pipe name over 256 characters (the Windows limit).
 */
export function windowsPipeName(path: string, runDir?: string): string {
  const dir = runDir || process.env.OVS_RUNDIR || WINDOWS_DEFAULT_RUNDIR;
  const abs = path.includes(':') ? path : `${dir}/${path}`;
  const bad = NOT_IN_WINDOWS_PATHS.exec(abs);
  if (bad) {
    throw new OvsdbRemoteError(`unix:${path}`, `${JSON.stringify(bad[0])} cannot be part of a Windows path (${abs}), so no OVS named pipe is named after it`);
  }
  const name = `\\\\.\\pipe\\${abs.replace(/[\\/]/g, '')}`;
  if (name.length > MAX_PIPE_NAME) throw new OvsdbRemoteError(`unix:${path}`, `named pipe name is ${name.length} characters, over the limit of ${MAX_PIPE_NAME}`);
  return name;
}

export interface ConnectRemoteOptions {
  tls?: TlsOptions;
  /** Default 10 s. */
  connectTimeoutMs?: number;
  /** Treat `unix:` as a Windows named pipe (default: process.platform === 'win32'). */
  windows?: boolean;
  /** OVS run directory for relative `unix:` paths on Windows. */
  runDir?: string;
}

/**
 * Opens the byte stream for one remote. TLS failures (unknown CA, a refused client certificate, an unreadable
 * file) reject with a one-line OvsdbTlsError (tls.ts); there is no fallback.
 */
export function connectRemote(remote: Remote, options: ConnectRemoteOptions = {}): Promise<Duplex> {
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  if (remote.kind === 'ssl') return connectTls(remote, options.tls, timeoutMs);
  return new Promise<Duplex>((resolve, reject) => {
    let socket: net.Socket;
    let pipeName: string | undefined;
    try {
      if (remote.kind === 'unix') {
        const windows = options.windows ?? process.platform === 'win32';
        // Mapped (and refused when unmappable) before anything is opened.
        if (windows) pipeName = windowsPipeName(remote.path, options.runDir);
        socket = net.connect({ path: pipeName ?? remote.path });
      } else {
        socket = net.connect({ host: remote.host, port: remote.port });
      }
    } catch (err) {
      reject(err instanceof OvsdbConnectError || err instanceof OvsdbRemoteError ? err
        : new OvsdbConnectError(remote.text, (err as Error).message, { cause: err }));
      return;
    }
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new OvsdbConnectError(remote.text, `no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      const missingPipe = pipeName !== undefined && (err as NodeJS.ErrnoException).code === 'ENOENT';
      reject(new OvsdbConnectError(remote.text,
        missingPipe ? `named pipe ${pipeName} does not exist (no OVSDB server serves it)` : err.message, { cause: err }));
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      if (remote.kind !== 'unix') socket.setNoDelay(true);
      resolve(socket);
    });
  });
}
