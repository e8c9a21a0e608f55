// Deterministic event ids: a UUID (RFC 9562 version 8, name-based on SHA-256) derived from the
// writer's identity. A workflow's activity passes (workflow id, run id, activity id, index):
// a retried activity has the same identity, so it repeats the same ids and the store's
// idempotent append recognises them instead of writing twice.
import { createHash } from 'node:crypto';

export function deterministicEventId(...parts: (string | number)[]): string {
  const bytes = createHash('sha256').update(parts.join('\u001f')).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80; // version 8
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Every activity here is scheduled by a workflow; its identity is part of the event ids. */
export function workflowOf(info: { workflowExecution?: { workflowId: string; runId: string } | undefined }): {
  workflowId: string;
  runId: string;
} {
  if (info.workflowExecution === undefined) throw new Error('activité appelée hors d’un workflow');
  return info.workflowExecution;
}
