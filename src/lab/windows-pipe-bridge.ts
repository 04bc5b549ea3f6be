// The Windows leg's pipe server, run by node.exe under Wine: it serves a Windows named pipe and copies bytes, both
// ways and unchanged, between each pipe connection and its own TCP connection to ovsdb-server on 127.0.0.1. It
// is the one part of the leg that is not Open vSwitch (ovsdb-server runs on Linux; on a Windows host it would
// serve the pipe itself). Like ovsdb-server's `punix:PATH` on Windows it also creates an empty file at PATH.
//
//   node.exe windows-pipe-bridge.js <pipe name> <tcp port> [<punix path>]
//
// It prints `listening <pipe name>` once the pipe exists, then one line per connection opened and closed. It
// runs until it is ended (by PID); ending it closes every pipe connection, as a stopped ovsdb-server would.
import net from 'node:net';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const [pipeName, portText, markerPath] = process.argv.slice(2);
const port = Number(portText);
if (!pipeName?.startsWith('\\\\.\\pipe\\') || !Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: windows-pipe-bridge.js \\\\.\\pipe\\NAME TCP_PORT [PUNIX_PATH]');
  process.exit(2);
}

let connections = 0;
const server = net.createServer((pipe) => {
  const id = ++connections;
  const tcp = net.connect({ host: '127.0.0.1', port });
  tcp.setNoDelay(true);
  console.log(`open ${id}`);
  let closed = false;
  const close = (why: string) => {
    if (closed) return;
    closed = true;
    pipe.destroy();
    tcp.destroy();
    console.log(`closed ${id}: ${why}`);
  };
  // Half-closes pass through (end() after the last byte), errors and closes tear both sides down.
  pipe.pipe(tcp);
  tcp.pipe(pipe);
  pipe.on('error', (e) => close(`pipe ${e.message}`));
  tcp.on('error', (e) => close(`tcp ${e.message}`));
  pipe.on('close', () => close('pipe closed'));
  tcp.on('close', () => close('tcp closed'));
});

server.on('error', (e) => {
  console.error(`pipe server error: ${e.message}`);
  process.exit(1);
});

if (markerPath) {
  mkdirSync(dirname(markerPath), { recursive: true });
  writeFileSync(markerPath, '');
  process.on('exit', () => rmSync(markerPath, { force: true }));
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));

server.listen(pipeName, () => console.log(`listening ${pipeName}`));
