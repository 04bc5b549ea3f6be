// `ovn-overlay lab`: starts the embedded lab with everything on and keeps it up until Ctrl-C.
import { startLab, type Lab } from '../lab/index.js';

export interface LabCommandOptions {
  clustered: boolean;
}

export function describeLab(lab: Lab): string {
  const lines = [`lab directory: ${lab.dir}`];
  for (const db of [lab.ovs, lab.nb, lab.sb]) {
    lines.push(`${db.name}:`, `  unix: ${db.unix}`, `  tcp:  ${db.tcp}`);
    if (db.ssl) lines.push(`  ssl:  ${db.ssl}`);
  }
  if (lab.tls) {
    lines.push('TLS files (client):', `  --ca ${lab.tls.caCert} --cert ${lab.tls.clientCert} --key ${lab.tls.clientKey}`);
  }
  if (lab.netns) lines.push(`ovs-vswitchd (userspace, dummy datapath) in network namespace ${lab.netns}`);
  lines.push('Try:', ...lab.hints.map((hint) => `  ${hint}`));
  return lines.join('\n');
}

export async function runLabCommand(options: LabCommandOptions): Promise<void> {
  const started = Date.now();
  const lab = await startLab({ tls: true, vswitchd: true, clustered: options.clustered });
  console.log(`ovn-overlay lab is up (${Date.now() - started} ms)${options.clustered ? ', NB and SB clustered' : ''}.`);
  console.log(describeLab(lab));
  console.log('Press Ctrl-C to stop the lab.');
  await new Promise<void>((resolve) => {
    // Signal listeners do not keep Node's event loop alive; this timer does, until Ctrl-C.
    const keepAlive = setInterval(() => undefined, 60_000);
    const finish = () => { clearInterval(keepAlive); void lab.stop().then(resolve); };
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
  });
  console.log('lab stopped.');
}
