// `npm run docs`: the API reference from the TSDoc comments, one module per package entry point, into dist/api
// (git-ignored). The entry points are read from package.json's `exports`, so a new subpath is documented
// without touching this file; typedoc-subpaths.mjs names each module after its import path.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// TypeDoc resolves relative paths in an options file from that file's folder: give it the project's.
const fromRoot = (path) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const pkg = JSON.parse(readFileSync(fromRoot('package.json'), 'utf8'));

/** `./dist/src/lab/index.d.ts` -> `src/lab/index.ts`: the source file tsc builds that declaration from. */
const sourceOf = (declaration) => declaration.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '.ts');

const entryPoints = Object.values(pkg.exports)
  .filter((target) => typeof target === 'object' && typeof target.types === 'string')
  .map((target) => fromRoot(sourceOf(target.types)));

export default {
  name: pkg.name,
  entryPoints,
  tsconfig: fromRoot('tsconfig.build.json'),
  out: fromRoot('dist/api'),
  plugin: [fromRoot('docs/typedoc-subpaths.mjs')],
  readme: 'none',
  excludePrivate: true,
  excludeInternal: true,
  treatWarningsAsErrors: true,
  validation: { notExported: true, invalidLink: true, notDocumented: false },
  // Types the public API names but its entry point does not export: each is a follow-up, not noise. TypeDoc
  // fails when an entry here is no longer needed, so the list only shrinks as they are fixed.
  intentionallyNotExported: [
    // The constraint of ObjectStore's type parameter, not exported by ovn-overlay/k8s (agent engineer).
    'src/k8s/store.ts:HasMetadata',
    // The common fields of the Windows plan's steps (windows engineer).
    'src/ovs/windows-plan.ts:StepBase',
    // A base of the codecs' UDP tunnel decoders (codecs engineer).
    'codecs/outer.ts:UdpTunnelDecoding',
    // Types of the ovn/ovs API the root does not export (the ovnapi engineer; ovs's MonitorEvents needs a name
    // of its own first: the root's MonitorEvents is ovsdb's).
    'src/ovs/interface-stats.ts:StatsTables', 'src/ovs/interface-stats.ts:MonitorEvents', 'src/ovn/ownership.ts:OwnedRow',
    'src/ovn/pod-annotation.ts:PodNetworkInput',
  ],
};
