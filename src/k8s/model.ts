// JSON objects into client-node model instances (V1Pod, ...), with client-node's own ObjectSerializer: what its
// generated API clients do to list results, done here to watch, stream and manifest objects too, so that every
// cached object is what its type says (Date timestamps included) whichever way it came.
//
// client-node 1.4 does not export ObjectSerializer from its root (it has no `exports` map, so the module path is
// importable); it is the class its own loadYaml() uses.
import { V1EndpointSlice, V1Namespace, V1NetworkPolicy, V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import { KIND_INFO, type KindName, type KindObjects } from './kinds.js';

const MODEL_CLASSES: { [K in KindName]: new () => KindObjects[K] } = {
  Namespace: V1Namespace, Node: V1Node, Pod: V1Pod, Service: V1Service, EndpointSlice: V1EndpointSlice, NetworkPolicy: V1NetworkPolicy,
};

/** The model instance for a JSON object of `kind` (checked by validateObject first); instances pass through. */
export function toModel<K extends KindName>(kind: K, object: unknown): KindObjects[K] {
  if (object instanceof MODEL_CLASSES[kind]) return object as KindObjects[K];
  return ObjectSerializer.deserialize(object, KIND_INFO[kind].modelType) as KindObjects[K];
}
