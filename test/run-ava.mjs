// Runs ava with its own reporter and ends with the plain `N passed, N failed` line CI reads.
// Plain JavaScript: it is started by npm before any TypeScript loader is involved. Arguments go to ava
// (`npm run test:unit` passes the unit-file patterns).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// ava's package exports do not include its CLI entry point, so run its bin file by path.
const avaCli = fileURLToPath(new URL('../node_modules/ava/entrypoints/cli.mjs', import.meta.url));
const child = spawn(process.execPath, [avaCli, ...process.argv.slice(2)], { stdio: ['ignore', 'pipe', 'pipe'] });

let text = '';
const relay = (stream, out) => stream.on('data', (chunk) => { out.write(chunk); text += chunk.toString('utf8'); });
relay(child.stdout, process.stdout);
relay(child.stderr, process.stderr);

child.on('close', (code, signal) => {
  // eslint-disable-next-line no-control-regex
  const plain = text.replace(/\x1b\[[0-9;]*m/g, '');
  const count = (re) => { const m = plain.match(re); return m ? Number(m[1]) : 0; };
  // With failures ava's summary leaves out the passed count, so count the tick lines as well.
  const lines = (re) => (plain.match(re) ?? []).length;
  const passed = Math.max(count(/^\s*(\d+) tests? passed/m), lines(/^\s*✔ (?!\[)/gm));
  let failed = Math.max(count(/^\s*(\d+) tests? failed/m), lines(/^\s*✘ \[fail\]/gm)) + count(/^\s*(\d+) uncaught exceptions?/m)
    + count(/^\s*(\d+) unhandled rejections?/m) + count(/^\s*(\d+) tests? remained pending/m);
  const exitCode = code ?? 1;
  if (exitCode !== 0 && failed === 0) failed = 1; // ava failed before counting (e.g. a crashed worker)
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(signal ? 1 : exitCode);
});
