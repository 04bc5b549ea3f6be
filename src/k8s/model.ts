// JSON objects into client-node model instances (V1Pod, ...), with client-node's own ObjectSerializer: what its
// generated API clients do to list results, done here to watch, stream and manifest objects too, so that every
// cached object is what its type says (Date timestamps included) whichever way it came.
//
// client-node 1.4 does not export ObjectSerializer from its root (it has no `exports` map, so the module path is
// importable); it is the class its own loadYaml() uses.
//
// ObjectSerializer.deserialize walks every attribute of a type's map for each object, parsing the type strings
// ("Array<V1Container>", "{ [key: string]: string; }") each time: ~25 us a pod, a fifth of an agent's time to read
// a 9,000-object stream. The same walk is compiled here once per type from the same attribute maps, with the
// same outcome (model class instances, Dates, unknown types and primitives as they are), checked against
// ObjectSerializer itself in test/k8s/model.test.ts. A type ObjectSerializer does not build as a class goes to it.
import * as models from '@kubernetes/client-node';
import { V1EndpointSlice, V1Namespace, V1NetworkPolicy, V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import { KIND_INFO, type KindName, type KindObjects } from './kinds.js';

type Decode = (data: unknown) => unknown;
interface ModelClass { new (): object; getAttributeTypeMap(): readonly { name: string; baseName: string; type: string }[] }

/** ObjectSerializer's primitive type names: their values are kept as they are. */
const PRIMITIVES = new Set(['string', 'boolean', 'double', 'integer', 'long', 'float', 'number', 'any']);
const NULLABLE = ' | null';
const OPTIONAL = ' | undefined';
const decoders = new Map<string, Decode>();
const asIs: Decode = (data) => data;

/** The decoder of a type string, compiled on first use. */
function decoderOf(type: string): Decode {
  let decode = decoders.get(type);
  if (!decode) {
    // Set first: a type that contains itself (JSONSchemaProps) finds its own entry while being compiled.
    const late: { decode?: Decode } = {};
    decoders.set(type, (data) => late.decode!(data));
    late.decode = compile(type);
    decoders.set(type, late.decode);
    decode = late.decode;
  }
  return decode;
}

/** ObjectSerializer.deserialize's cases, in its order, decided once for the type. */
function compile(type: string): Decode {
  if (PRIMITIVES.has(type.toLowerCase())) return asIs;
  if (type.endsWith(NULLABLE)) return decoderOf(type.slice(0, -NULLABLE.length));
  if (type.endsWith(OPTIONAL)) return decoderOf(type.slice(0, -OPTIONAL.length));
  if (type.startsWith('Array<')) {
    const item = decoderOf(type.slice('Array<'.length, -1));
    return (data) => {
      if (data == undefined) return data;
      const out: unknown[] = [];
      for (const x of data as Iterable<unknown>) out.push(item(x));
      return out;
    };
  }
  if (type.startsWith('{ [key: string]: ')) {
    const value = decoderOf(type.slice('{ [key: string]: '.length, -'; }'.length));
    return (data) => {
      if (data == undefined) return data;
      const out: Record<string, unknown> = {};
      for (const key in data as Record<string, unknown>) out[key] = value((data as Record<string, unknown>)[key]);
      return out;
    };
  }
  if (type === 'Date') return (data) => (data == undefined ? data : new Date(data as string));
  const model = (models as unknown as Record<string, unknown>)[type] as ModelClass | undefined;
  // Only a class ObjectSerializer knows by this name is built; anything else it returns as it is.
  const known = typeof model === 'function' && typeof model.getAttributeTypeMap === 'function'
    && ObjectSerializer.deserialize({}, type) instanceof model;
  if (!known) return (data) => (data == undefined ? data : ObjectSerializer.deserialize(data, type));
  const attributes = model.getAttributeTypeMap().map((a) => ({ name: a.name, baseName: a.baseName, decode: decoderOf(a.type) }));
  return (data) => {
    if (data == undefined) return data;
    const instance = new model() as Record<string, unknown>;
    for (const a of attributes) {
      const raw = (data as Record<string, unknown>)[a.baseName];
      if (raw === undefined) continue;
      const value = a.decode(raw);
      if (value !== undefined) instance[a.name] = value;
    }
    return instance;
  };
}

const MODEL_CLASSES: { [K in KindName]: new () => KindObjects[K] } = {
  Namespace: V1Namespace, Node: V1Node, Pod: V1Pod, Service: V1Service, EndpointSlice: V1EndpointSlice, NetworkPolicy: V1NetworkPolicy,
};

/** The model instance for a JSON object of `kind` (checked by validateObject first); instances pass through. */
export function toModel<K extends KindName>(kind: K, object: unknown): KindObjects[K] {
  if (object instanceof MODEL_CLASSES[kind]) return object as KindObjects[K];
  return decoderOf(KIND_INFO[kind].modelType)(object) as KindObjects[K];
}
