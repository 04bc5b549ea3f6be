// Manifests as a starting state: JSON and YAML files (several documents per YAML file, `kind: List`, typed lists),
// given as files or directories (a directory's *.json, *.yaml and *.yml files in name order, as `kubectl apply -f
// DIR` reads them; subdirectories with `recursive`, as -R). YAML is read as YAML 1.1, the dialect Kubernetes reads
// (sigs.k8s.io/yaml on go-yaml), so `enabled: yes` is the boolean it is for kubectl and is refused in a label,
// as kubectl refuses it. A document that does not parse is reported with its file and line and skipped; the
// other documents of the file still count.
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { upsertDocument } from './documents.js';
import { K8sError } from './errors.js';
import type { ObjectSink } from './events.js';
import { JsonStreamReader } from './json-stream.js';
import { silentLogger, type Logger } from './logger.js';
import { createSignal, type ObjectSource } from './source.js';

export const MANIFEST_EXTENSIONS = ['.json', '.yaml', '.yml'] as const;

export interface ManifestSourceOptions {
  logger?: Logger;
  /** Read subdirectories too (kubectl -R). */
  recursive?: boolean;
}

/** The manifest files a list of paths names, in the order they are applied. Throws K8S_MANIFEST_READ. */
export async function manifestFiles(paths: readonly string[], recursive = false): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) { if (recursive) await walk(path); }
      else if ((MANIFEST_EXTENSIONS as readonly string[]).includes(extname(entry.name).toLowerCase())) out.push(path);
    }
  };
  for (const path of paths) {
    let info;
    try { info = await stat(path); } catch (err) {
      throw new K8sError('K8S_MANIFEST_READ', `cannot read manifests at ${path}: ${(err as Error).message}`, { cause: err });
    }
    if (info.isDirectory()) await walk(path);
    else out.push(path);
  }
  return out;
}

/** Delivers the documents of one manifest file's text into the sink. Returns the number of objects handed over. */
export function applyManifestText(sink: ObjectSink, text: string, name: string): number {
  let count = 0;
  if (extname(name).toLowerCase() === '.json') {
    // One or more JSON values, compact or pretty-printed (what `kubectl get -o json` writes).
    const reader = new JsonStreamReader(
      (item) => { count += upsertDocument(sink, item.value, `manifest ${name}:${item.firstLine}`); },
      (fault) => sink.report({ kind: '', reason: 'manifest-syntax', message: fault.message, origin: `manifest ${name}:${fault.firstLine}` }),
    );
    reader.push(text);
    reader.end();
    return count;
  }
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { version: '1.1', lineCounter, prettyErrors: false });
  if (!Array.isArray(documents)) return 0; // only comments or an empty file
  documents.forEach((document, index) => {
    // The line of the document's first content, not of its "---".
    const line = lineCounter.linePos(document.contents?.range?.[0] ?? document.range[0]).line;
    const origin = `manifest ${name}#${index + 1}:${line}`;
    if (document.errors.length > 0) {
      const error = document.errors[0];
      const at = error.linePos?.[0]?.line ?? line;
      sink.report({ kind: '', reason: 'manifest-syntax', message: `line ${at}: ${error.message.split('\n')[0]}`, origin });
      return;
    }
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return; // an empty document ("---" at the end)
    count += upsertDocument(sink, value, origin);
  });
  return count;
}

export class ManifestSource implements ObjectSource {
  readonly name = 'manifests';
  private readonly logger: Logger;
  private readonly syncedSignal = createSignal();
  private started = false;

  constructor(private readonly paths: readonly string[], private readonly options: ManifestSourceOptions = {}) {
    this.logger = (options.logger ?? silentLogger).child('manifests');
  }

  get synced(): Promise<void> { return this.syncedSignal.promise; }
  get done(): Promise<void> { return this.syncedSignal.promise; }
  hasSynced(): boolean { return this.syncedSignal.fired; }

  /** Reads every file and delivers its objects; resolves (synced) once all are delivered. Throws K8S_MANIFEST_READ. */
  async start(sink: ObjectSink): Promise<void> {
    if (this.started) throw new K8sError('K8S_SOURCE_STARTED', 'the manifest source was started already');
    this.started = true;
    const files = await manifestFiles(this.paths, this.options.recursive);
    let objects = 0;
    for (const file of files) {
      let text: string;
      try { text = await readFile(file, 'utf8'); } catch (err) {
        throw new K8sError('K8S_MANIFEST_READ', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
      }
      const name = relative(process.cwd(), file) || file;
      const count = applyManifestText(sink, text, name);
      objects += count;
      this.logger.debug('read manifest', { file: name, objects: count });
    }
    this.logger.info('manifests read', { files: files.length, objects });
    this.syncedSignal.fire();
  }

  async stop(): Promise<void> {}
}
