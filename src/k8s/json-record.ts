// The one test every reader of Kubernetes JSON starts with, apart from what documents are (documents.ts), so
// validation and selectors can use it without depending on the sources' sink.

/** A JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
