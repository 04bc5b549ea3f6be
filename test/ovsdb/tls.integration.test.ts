// TLS against the real ovsdb-server on ssl: remotes (issue 12, TLS and item 8): every refusal happens at
// connect() with a one-line reason naming the file or the cause, never at the first call with raw OpenSSL text.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '../../src/lab/index.js';
import { runCommand } from '../../src/lab/process.js';
import { OvsdbClient, OvsdbDatabase, OvsdbTlsError, type TlsOptions, type TlsProblem } from '../../src/index.js';

let lab: Lab;
let misnamed: Lab;
let dir: string;
let expired: { cert: string; key: string };

/** A client certificate that expired in 2020, from a CA of its own (openssl ca takes explicit dates). */
async function makeExpiredCertificate(at: string): Promise<{ cert: string; key: string }> {
  const keyArgs = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = { cert: join(at, 'exp-ca.pem'), key: join(at, 'exp-ca.key') };
  await runCommand('openssl', ['req', '-x509', ...keyArgs, '-keyout', ca.key, '-out', ca.cert, '-days', '3650', '-subj', '/CN=expiring CA']);
  const key = join(at, 'expired.key');
  const csr = join(at, 'expired.csr');
  await runCommand('openssl', ['req', ...keyArgs, '-keyout', key, '-out', csr, '-subj', '/CN=expired client']);
  writeFileSync(join(at, 'index.txt'), '');
  writeFileSync(join(at, 'serial'), '01\n');
  const config = join(at, 'ca.cnf');
  writeFileSync(config, `[ca]\ndefault_ca=d\n[d]\ndatabase=${at}/index.txt\nnew_certs_dir=${at}\nserial=${at}/serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n`);
  const cert = join(at, 'expired.pem');
  await runCommand('openssl', ['ca', '-batch', '-config', config, '-cert', ca.cert, '-keyfile', ca.key, '-in', csr, '-out', cert,
    '-startdate', '20200101000000Z', '-enddate', '20200102000000Z', '-notext']);
  return { cert, key };
}

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ovsdb-tls-'));
  [lab, misnamed, expired] = await Promise.all([
    startLab({ tls: true, northd: false }),
    startLab({ tls: { serverAltNames: ['DNS:ovn-central.invalid'] }, northd: false }),
    makeExpiredCertificate(dir),
  ]);
  writeFileSync(join(dir, 'garbage.pem'), 'this is not a certificate\n');
  writeFileSync(join(dir, 'empty.pem'), '');
  writeFileSync(join(dir, 'binary.pem'), Buffer.from([0x30, 0x82, 0xff, 0x00, 0x01, 0xfe, 0x80, 0x7f]));
});
test.after.always(async () => {
  await Promise.all([lab?.stop(), misnamed?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function good(): TlsOptions {
  return { ca: lab.tls!.caCert, cert: lab.tls!.clientCert, key: lab.tls!.clientKey };
}

/** connect() must reject with an OvsdbTlsError of this problem, a one-line message matching `message`. */
async function refused(t: import('ava').ExecutionContext, remote: string, tls: TlsOptions, problem: TlsProblem, message: RegExp, file?: string): Promise<void> {
  const e = await t.throwsAsync(OvsdbClient.connect(remote, { tls, connectTimeoutMs: 5000 }), { instanceOf: OvsdbTlsError });
  t.is(e.code, 'OVSDB_TLS');
  t.is(e.problem, problem, e.message);
  t.regex(e.message, message);
  t.is(e.file, file);
  t.false(e.message.includes('\n'), `one line: ${JSON.stringify(e.message)}`);
  t.false(/deps\/openssl|error:[0-9A-F]{8}/.test(e.message), `no raw OpenSSL text: ${e.message}`);
}

test('the lab certificates connect, and calls work', async (t) => {
  const client = await OvsdbClient.connect(lab.nb.ssl!, { tls: good() });
  t.teardown(() => client.close());
  t.deepEqual((await client.listDbs()).sort(), ['OVN_Northbound', '_Server']);
});

test('wrong CA: the server is not trusted by that CA file', async (t) => {
  const ca = lab.tls!.otherCaCert;
  await refused(t, lab.nb.ssl!, { ...good(), ca }, 'server-untrusted', new RegExp(`not trusted by CA certificate file ${ca} \\(self-signed certificate in certificate chain\\)`), ca);
});

test('a garbage, empty, binary, missing or directory CA file is named (it said "self-signed certificate in certificate chain")', async (t) => {
  for (const [file, why] of [['garbage.pem', ' holds no PEM certificate'], ['empty.pem', ' is empty'], ['binary.pem', ' holds no PEM certificate'],
    ['missing.pem', ': cannot read it \\(no such file\\)'], ['', ': cannot read it \\(it is a directory\\)']] as const) {
    const ca = join(dir, file);
    await refused(t, lab.nb.ssl!, { ...good(), ca }, 'ca-file', new RegExp(`: CA certificate file ${ca}${why}$`), ca);
  }
});

test('garbage or unreadable client certificate and key files are named; a key that is not the certificate\'s too', async (t) => {
  const garbage = join(dir, 'garbage.pem');
  await refused(t, lab.nb.ssl!, { ...good(), cert: garbage }, 'cert-file', /client certificate file \S+garbage\.pem holds no PEM certificate$/, garbage);
  await refused(t, lab.nb.ssl!, { ...good(), key: garbage }, 'key-file', /client key file \S+garbage\.pem holds no PEM private key$/, garbage);
  const missing = join(dir, 'nope.key');
  await refused(t, lab.nb.ssl!, { ...good(), key: missing }, 'key-file', /client key file \S+nope\.key: cannot read it \(no such file\)$/, missing);
  const other = lab.tls!.otherClientKey;
  await refused(t, lab.nb.ssl!, { ...good(), key: other }, 'key-mismatch', /client key file \S+other-client\.key is not the key of client certificate file \S+client\.pem$/, other);
  await refused(t, lab.nb.ssl!, { ca: lab.tls!.caCert, cert: lab.tls!.clientCert }, 'key-mismatch', /client certificate file \S+ is given without its key$/, lab.tls!.clientCert);
});

test('no client certificate: refused at connect (TLS 1.3: the server refuses after the handshake; the echo finds out)', async (t) => {
  await refused(t, lab.nb.ssl!, { ca: lab.tls!.caCert }, 'client-refused', /the server requires a client certificate and none was given/);
});

test('a client certificate from a CA the server does not trust: refused at connect, naming the certificate', async (t) => {
  const cert = lab.tls!.otherClientCert;
  await refused(t, lab.nb.ssl!, { ca: lab.tls!.caCert, cert, key: lab.tls!.otherClientKey }, 'client-refused',
    new RegExp(`the server refused client certificate file ${cert} \\(TLS alert: unknown ca\\)$`), cert);
});

test('an expired client certificate is refused before connecting, with its date', async (t) => {
  await refused(t, lab.nb.ssl!, { ca: lab.tls!.caCert, cert: expired.cert, key: expired.key }, 'cert-expired',
    /client certificate file \S+expired\.pem expired on 2020-01-02T00:00:00\.000Z$/, expired.cert);
});

test('a server certificate that does not name the host: refused unless checkServerName is false (the CA still checked)', async (t) => {
  const tls: TlsOptions = { ca: misnamed.tls!.caCert, cert: misnamed.tls!.clientCert, key: misnamed.tls!.clientKey };
  await refused(t, misnamed.nb.ssl!, tls, 'server-name', /the server's certificate does not name 127\.0\.0\.1 \(its altnames: DNS:ovn-central\.invalid\); checkServerName: false/);
  await refused(t, lab.nb.ssl!, { ...good(), checkServerName: 'db.example.org' }, 'server-name', /db\.example\.org/);
  const unchecked = await OvsdbClient.connect(misnamed.nb.ssl!, { tls: { ...tls, checkServerName: false } });
  t.deepEqual((await unchecked.listDbs()).sort(), ['OVN_Northbound', '_Server']);
  await unchecked.close();
  await refused(t, misnamed.nb.ssl!, { ...tls, ca: misnamed.tls!.otherCaCert, checkServerName: false }, 'server-untrusted', /not trusted by CA certificate file/, misnamed.tls!.otherCaCert);
});

test('the replica reports the same one-line reason for each member it cannot use', async (t) => {
  const db = OvsdbDatabase.connect({ remotes: lab.nb.ssl!, database: 'OVN_Northbound', tls: { ca: lab.tls!.caCert }, backoff: { initialMs: 50, maxMs: 200 } });
  t.teardown(() => db.close());
  const reason = await new Promise<string>((resolve) => db.once('skipped', (info) => resolve(info.reason)));
  t.regex(reason, /the server requires a client certificate and none was given/);
  t.false(reason.includes('\n'));
});
