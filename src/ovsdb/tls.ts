// ssl: remotes. Three things the TLS socket alone does not do:
//  - check the CA, certificate and key before connecting, so a bad file is named (a garbage, empty or binary CA
//    file used to surface as "self-signed certificate in certificate chain");
//  - confirm the session with one `echo` round trip before connect() resolves: with TLS 1.3 (what ovsdb-server
//    negotiates) the server refuses a client certificate after the client's side of the handshake is complete,
//    so connect() used to succeed and the first call failed with raw OpenSSL text;
//  - turn OpenSSL's failures into one-line reasons (OvsdbTlsError, with a stable `problem`).
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { OvsdbConnectError, OvsdbError, OvsdbTlsError, type TlsProblem } from './errors.js';
import { JsonSplitter } from './framing.js';

/** TLS material: PEM text or file paths (a value that does not start with "-----BEGIN" is read as a path). */
export interface TlsOptions {
  /** CA certificate(s) the server's certificate must chain to. Required: there is no unverified mode. */
  ca: string | Buffer;
  /** Client certificate and key (ovsdb-server asks for one). */
  cert?: string | Buffer;
  key?: string | Buffer;
  /**
   * Check that the server certificate names the host it was reached at (IP or DNS SAN/CN), like HTTPS. Default
   * true. A string checks against that name instead. `false` checks only the chain to the CA, as OVS's own
   * clients do (ovs-pki certificates name a role or UUID, not a host).
   */
  checkServerName?: boolean | string;
}

/** One piece of TLS material, read and named for error messages. */
interface Source {
  readonly bytes: Buffer;
  /** The path it was read from (undefined for PEM text or a Buffer). */
  readonly file: string | undefined;
  /** "CA certificate file /etc/x.pem", "client key (PEM text)". */
  readonly label: string;
}

interface TlsMaterial {
  readonly ca: Source;
  readonly cert: Source | undefined;
  readonly key: Source | undefined;
  /** PEM of the CA certificates, for tls.connect (a DER file is converted). */
  readonly caPem: string[];
}

function refuse(remote: string, problem: TlsProblem, source: Source | undefined, reason: string, cause?: unknown): never {
  throw new OvsdbTlsError(remote, problem, reason, source?.file, cause === undefined ? undefined : { cause });
}

function read(remote: string, value: string | Buffer, what: string, problem: TlsProblem): Source {
  if (Buffer.isBuffer(value)) return { bytes: value, file: undefined, label: `${what} (Buffer)` };
  if (value.trimStart().startsWith('-----BEGIN')) return { bytes: Buffer.from(value), file: undefined, label: `${what} (PEM text)` };
  const label = `${what} file ${value}`;
  try {
    return { bytes: readFileSync(value), file: value, label };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'it is a directory' : e.message;
    return refuse(remote, problem, { bytes: Buffer.alloc(0), file: value, label }, `${label}: cannot read it (${why})`, err);
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/** The certificates of a PEM bundle (or of one DER certificate); refuses a file that holds none. */
function certificates(remote: string, source: Source, problem: TlsProblem): X509Certificate[] {
  if (source.bytes.length === 0) refuse(remote, problem, source, `${source.label} is empty`);
  const text = source.bytes.toString('latin1');
  const blocks = text.match(PEM_CERTIFICATE);
  if (!blocks) {
    try {
      return [new X509Certificate(source.bytes)]; // DER
    } catch {
      return refuse(remote, problem, source, `${source.label} holds no PEM certificate`);
    }
  }
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      return refuse(remote, problem, source, `${source.label}: certificate ${i + 1} is not a valid certificate (${(err as Error).message})`, err);
    }
  });
}

/** Reads and checks the CA, certificate and key; throws OvsdbTlsError naming the file at fault. */
export function loadTlsMaterial(remote: string, options: TlsOptions, now = Date.now()): TlsMaterial {
  const ca = read(remote, options.ca, 'CA certificate', 'ca-file');
  const caPem = certificates(remote, ca, 'ca-file').map((c) => c.toString());
  const cert = options.cert === undefined ? undefined : read(remote, options.cert, 'client certificate', 'cert-file');
  const key = options.key === undefined ? undefined : read(remote, options.key, 'client key', 'key-file');
  if (cert && !key) refuse(remote, 'key-mismatch', cert, `${cert.label} is given without its key`);
  if (key && !cert) refuse(remote, 'key-mismatch', key, `${key.label} is given without its certificate`);
  let keyObject: KeyObject | undefined;
  if (cert && key) {
    const [leaf] = certificates(remote, cert, 'cert-file');
    if (key.bytes.length === 0) refuse(remote, 'key-file', key, `${key.label} is empty`);
    try {
      keyObject = createPrivateKey(key.bytes);
    } catch (err) {
      const encrypted = (err as NodeJS.ErrnoException).code === 'ERR_MISSING_PASSPHRASE';
      refuse(remote, 'key-file', key, `${key.label} ${encrypted ? 'is encrypted (keys with a passphrase are not supported)' : 'holds no PEM private key'}`, err);
    }
    if (!leaf.checkPrivateKey(keyObject)) refuse(remote, 'key-mismatch', key, `${key.label} is not the key of ${cert.label}`);
    const notAfter = Date.parse(leaf.validTo);
    const notBefore = Date.parse(leaf.validFrom);
    if (now > notAfter) refuse(remote, 'cert-expired', cert, `${cert.label} expired on ${new Date(notAfter).toISOString()}`);
    if (now < notBefore) refuse(remote, 'cert-expired', cert, `${cert.label} is not valid before ${new Date(notBefore).toISOString()}`);
  }
  return { ca, cert, key, caPem };
}

/** Verification failures of the server's certificate (OpenSSL's X509_V_ERR names as Node reports them). */
const UNTRUSTED_SERVER = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID', 'CERT_REVOKED', 'INVALID_CA', 'PATH_LENGTH_EXCEEDED', 'INVALID_PURPOSE', 'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD',
]);

/** TLS alerts from the server that mean it did not accept our certificate. */
const CERTIFICATE_ALERT = /ALERT_(CERTIFICATE_REQUIRED|UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED|DECRYPT_ERROR)$/;

/** The one-line reason for a failed TLS connection (or undefined when the failure is not about TLS). */
export function describeTlsFailure(remote: string, err: Error, material: TlsMaterial): OvsdbConnectError {
  if (err instanceof OvsdbConnectError) return err;
  const e = err as NodeJS.ErrnoException & { reason?: string };
  const code = e.code ?? '';
  const reason = (e.reason ?? e.message).split('\n')[0];
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const { host, cert } = err as Error & { host?: string; cert?: tls.PeerCertificate };
    const names = cert?.subjectaltname || (cert?.subject?.CN ? `CN=${String(cert.subject.CN)}` : 'none');
    return new OvsdbTlsError(remote, 'server-name', `the server's certificate does not name ${host ?? 'the host'} (its altnames: ${names}); `
      + 'checkServerName: false (--no-check-server-name) checks only the chain to the CA', undefined, { cause: err });
  }
  if (UNTRUSTED_SERVER.has(code)) {
    return new OvsdbTlsError(remote, 'server-untrusted', `the server's certificate is not trusted by ${material.ca.label} (${reason})`,
      material.ca.file, { cause: err });
  }
  const alert = CERTIFICATE_ALERT.exec(code);
  if (alert) {
    const what = alert[1] === 'CERTIFICATE_REQUIRED' && !material.cert
      ? 'the server requires a client certificate and none was given (cert and key)'
      : `the server refused ${material.cert?.label ?? 'the connection'} (TLS alert: ${reason.replace(/^(sslv3|tlsv1|tlsv13) alert /, '')})`;
    return new OvsdbTlsError(remote, 'client-refused', what, material.cert?.file, { cause: err });
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_OSSL_')) {
    return new OvsdbTlsError(remote, 'handshake', `TLS handshake failed (${reason})`, undefined, { cause: err });
  }
  return new OvsdbConnectError(remote, err.message.split('\n')[0], { cause: err });
}

const CONFIRM_ID = 'ovn-overlay-tls-confirm';

function isConfirmReply(bytes: Buffer): boolean {
  try {
    const msg = JSON.parse(bytes.toString('utf8')) as { id?: unknown } | null;
    return msg !== null && typeof msg === 'object' && msg.id === CONFIRM_ID;
  } catch {
    return false;
  }
}

/**
 * Sends one `echo` and waits for its reply, so that a server that refuses our certificate after the TLS 1.3
 * handshake is known now. Messages that arrive before the reply and bytes after it are put back, in order, for
 * whoever reads the stream next.
 */
export function confirmSession(socket: Duplex, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const splitter = new JsonSplitter({ maxMessageBytes: 1024 * 1024 });
    const before: Buffer[] = [];
    let done = false;
    const finish = (err: Error | undefined, rest?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // Reading in paused mode ('readable') leaves the stream as a fresh one once the listener is gone: the next
      // reader's 'data' listener starts the flow and gets the bytes put back first.
      socket.off('readable', onReadable);
      socket.off('error', finish);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      if (err) { reject(err); return; }
      const back = rest && rest.length > 0 ? [...before, rest] : before;
      if (back.length > 0) socket.unshift(Buffer.concat(back));
      resolve();
    };
    const onEnd = () => finish(new Error('the server closed the connection right after the TLS handshake'));
    const onReadable = () => {
      for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) {
        let replyEnd = -1;
        try {
          splitter.push(chunk, (bytes, _exact, end) => {
            if (replyEnd >= 0) return; // after the reply: put back raw with the rest of the chunk
            if (isConfirmReply(bytes)) replyEnd = end;
            else before.push(Buffer.from(bytes));
          });
        } catch (err) {
          if (replyEnd < 0) { finish(err as Error); return; }
        }
        if (replyEnd >= 0) { finish(undefined, chunk.subarray(replyEnd)); return; }
      }
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms after the TLS handshake`)), timeoutMs);
    socket.on('readable', onReadable);
    socket.once('error', finish);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.write(JSON.stringify({ id: CONFIRM_ID, method: 'echo', params: [] }));
  });
}

/** Connects an ssl: remote: checks the material, handshakes, confirms with an echo. Rejects with OvsdbConnectError / OvsdbTlsError. */
export function connectTls(remote: { host: string; port: number; text: string }, options: TlsOptions | undefined, timeoutMs: number): Promise<Duplex> {
  return new Promise<Duplex>((resolve, reject) => {
    let material: TlsMaterial;
    let socket: tls.TLSSocket;
    try {
      if (!options) throw new OvsdbConnectError(remote.text, 'an ssl: remote needs TLS options (CA, client certificate and key)');
      material = loadTlsMaterial(remote.text, options);
      const check = options.checkServerName ?? true;
      socket = tls.connect({
        host: remote.host, port: remote.port, ca: material.caPem, cert: material.cert?.bytes, key: material.key?.bytes,
        rejectUnauthorized: true, servername: typeof check === 'string' ? check : net.isIP(remote.host) ? undefined : remote.host,
        checkServerIdentity: check === false ? () => undefined
          : (host, cert) => tls.checkServerIdentity(typeof check === 'string' ? check : host, cert),
      });
    } catch (err) {
      reject(err instanceof OvsdbError ? err : new OvsdbConnectError(remote.text, (err as Error).message, { cause: err }));
      return;
    }
    const started = Date.now();
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(describeTlsFailure(remote.text, err, material));
    };
    const timer = setTimeout(() => fail(new OvsdbConnectError(remote.text, `no TLS connection within ${timeoutMs} ms`)), timeoutMs);
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      socket.setNoDelay(true);
      confirmSession(socket, Math.max(1, timeoutMs - (Date.now() - started))).then(() => resolve(socket), (err: Error) => {
        socket.destroy();
        // An alert (the server refusing our certificate) is an 'error' with an OpenSSL code; a bare close or a
        // timeout is not, and names what is known.
        const described = describeTlsFailure(remote.text, err, material);
        reject(described instanceof OvsdbTlsError ? described
          : new OvsdbTlsError(remote.text, 'handshake', `${err.message.split('\n')[0]}${material.cert ? '' : ' (no client certificate was given)'}`, undefined, { cause: err }));
      });
    });
  });
}
