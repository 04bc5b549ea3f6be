// A JSON or YAML document as manifests and `kubectl get -o json` hold them: one object, or a list of objects
// (`kind: List`, or a typed list such as `PodList` whose items carry no kind of their own). Shared by the
// manifest source and the watch-stream source (which also reads bare objects, as kubectl prints them without
// --output-watch-events).
import type { ObjectSink } from './events.js';
import { isRecord } from './json-record.js';

/** True for `{kind: "List" | "<Kind>List", items: [...]}`. */
export function isListDocument(value: unknown): value is { kind: string; items: unknown[] } {
  return isRecord(value) && typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items);
}

/** Hands one document to the sink as upserts: each item of a list, or the object itself. Returns how many. */
export function upsertDocument(sink: ObjectSink, value: unknown, origin: string): number {
  if (isListDocument(value)) {
    // Items of a typed list (PodList) from the API carry no kind; the list's kind names it.
    const itemKind = value.kind === 'List' ? undefined : value.kind.slice(0, -'List'.length);
    value.items.forEach((item, i) => {
      const declared = isRecord(item) && typeof item.kind === 'string' ? item.kind : itemKind;
      sink.upsert({ kind: declared, object: item, origin: `${origin} item ${i}` });
    });
    return value.items.length;
  }
  sink.upsert({ object: value, origin });
  return 1;
}
