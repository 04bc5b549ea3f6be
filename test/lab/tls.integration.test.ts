import test from 'ava';
import { startLab } from '../../src/lab/index.js';
import { runCommand } from '../../src/lab/process.js';

test('a TLS lab serves pssl: with client certificates and refuses another CA', async (t) => {
  const lab = await startLab({ tls: true, northd: false });
  t.teardown(() => lab.stop());
  const tls = lab.tls!;
  t.truthy(lab.nb.ssl);
  const ssl = lab.nb.ssl!;
  const trusted = await runCommand('ovsdb-client', ['-p', tls.clientKey, '-c', tls.clientCert, '-C', tls.caCert,
    'list-dbs', ssl]);
  t.regex(trusted, /OVN_Northbound/);

  // A client whose certificate comes from a CA the server does not trust is refused.
  const refused = await runCommand('ovsdb-client', ['--timeout=5', '-p', tls.otherClientKey, '-c', tls.otherClientCert,
    '-C', tls.caCert, 'list-dbs', ssl]).then(() => 'accepted', (error: Error) => error.message);
  t.not(refused, 'accepted');

  // The server certificate names 127.0.0.1, so Node's own TLS accepts it by IP.
  const { connect } = await import('node:tls');
  const { readFileSync } = await import('node:fs');
  const port = Number(ssl.split(':')[2]);
  const authorized = await new Promise<boolean>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: readFileSync(tls.caCert), cert: readFileSync(tls.clientCert),
      key: readFileSync(tls.clientKey) }, () => { resolve(socket.authorized); socket.destroy(); });
    socket.once('error', reject);
  });
  t.true(authorized);
});
