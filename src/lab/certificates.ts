// TLS material for a lab, made with openssl. ovs-pki certificates carry no subjectAltName, which Node
// refuses for an IP address, so the server certificate gets subjectAltName=IP:127.0.0.1.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './process.js';
import type { LabTls } from './types.js';
import type { ServerTlsFiles } from './database-server.js';

const keyArgs = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function makeCa(dir: string, stem: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${stem}.pem`);
  const key = join(dir, `${stem}.key`);
  await runCommand('openssl', ['req', '-x509', ...keyArgs, '-keyout', key, '-out', cert, '-days', '3650',
    '-subj', `/CN=${name}`]);
  return { cert, key };
}

async function makeSigned(
  dir: string, stem: string, commonName: string, ca: { cert: string; key: string }, extensions: string,
): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${stem}.key`);
  const csr = join(dir, `${stem}.csr`);
  const cert = join(dir, `${stem}.pem`);
  const ext = join(dir, `${stem}.ext`);
  await writeFile(ext, extensions);
  await runCommand('openssl', ['req', ...keyArgs, '-keyout', key, '-out', csr, '-subj', `/CN=${commonName}`]);
  // A random serial per certificate: -CAcreateserial would have the certificates signed in parallel by one CA
  // read and write the same serial file at once.
  await runCommand('openssl', ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key,
    '-set_serial', `0x${randomBytes(16).toString('hex')}`, '-out', cert, '-days', '3650', '-extfile', ext]);
  return { cert, key };
}

export interface LabCertificates {
  forServers: ServerTlsFiles;
  forClients: LabTls;
}

export const DEFAULT_SERVER_ALT_NAMES: readonly string[] = ['IP:127.0.0.1', 'DNS:localhost'];

export async function makeLabCertificates(dir: string, serverAltNames = DEFAULT_SERVER_ALT_NAMES): Promise<LabCertificates> {
  const ca = await makeCa(dir, 'ca', 'ovn-overlay lab CA');
  const otherCa = await makeCa(dir, 'other-ca', 'untrusted CA');
  const [server, client, otherClient] = await Promise.all([
    makeSigned(dir, 'server', '127.0.0.1', ca, `subjectAltName=${serverAltNames.join(',')}\nextendedKeyUsage=serverAuth,clientAuth\n`),
    makeSigned(dir, 'client', 'ovn-overlay client', ca, 'extendedKeyUsage=clientAuth\n'),
    makeSigned(dir, 'other-client', 'untrusted client', otherCa, 'extendedKeyUsage=clientAuth\n'),
  ]);
  return {
    forServers: { privateKey: server.key, certificate: server.cert, caCert: ca.cert },
    forClients: {
      caCert: ca.cert, clientCert: client.cert, clientKey: client.key,
      otherCaCert: otherCa.cert, otherClientCert: otherClient.cert, otherClientKey: otherClient.key,
    },
  };
}
