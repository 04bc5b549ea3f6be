// Two connected in-memory byte streams, like the two ends of a socket (Node 20 has no stream.duplexPair): what
// one writes, the other reads; ending one ends the other's readable side; destroying one closes both.
import { Duplex } from 'node:stream';

export function memoryPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const make = (peer: () => Duplex) => new Duplex({
    read() { /* pushed by the peer's writes */ },
    write(chunk: Buffer, _encoding, callback) {
      const other = peer();
      if (!other.destroyed) other.push(chunk);
      callback();
    },
    final(callback) {
      const other = peer();
      if (!other.destroyed) other.push(null);
      callback();
    },
    destroy(error, callback) {
      const other = peer();
      if (!other.destroyed) {
        other.push(null);
        setImmediate(() => other.destroy());
      }
      callback(error);
    },
  });
  ends.push(make(() => ends[1]), make(() => ends[0]));
  return [ends[0], ends[1]];
}
