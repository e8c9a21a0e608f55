// Replays the committed workflow histories (test/workflows/histories/, written by
// scripts/record-histories.ts from real lifecycles) with the current workflow code. A change that
// would make a running workflow take another path — a new activity or timer, two calls swapped,
// a sleep added — fails here, before it can break the workflows in flight in production.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as protoTypes from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowsPath } from '../../workflows/worker';

const historiesDir = new URL('./histories/', import.meta.url).pathname;

type History = protoTypes.temporal.api.history.v1.IHistory;

/**
 * Parses a proto3 JSON history. Not the SDK's historyFromJSON (which runReplayHistories would call
 * on JSON): @temporalio/common and @temporalio/proto each get their own copy of protobufjs here,
 * and protojson refuses the other copy's types ("type must be a Type"). Loading protojson from
 * the copy @temporalio/proto uses avoids that; the result is a History the replayer takes as is.
 */
function historyFromJson(json: unknown): History {
  const requireProto = createRequire(createRequire(import.meta.url).resolve('@temporalio/proto'));
  const proto = requireProto('@temporalio/proto') as typeof protoTypes;
  const protojson = requireProto('protobufjs/ext/protojson') as {
    fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): History | null;
  };
  const root = patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown };
  const history = protojson.fromJson(root.lookupType('temporal.api.history.v1.History'), json, {
    ignoreUnknownFields: true,
  });
  if (history === null) throw new Error('historique illisible');
  return history;
}

describe('committed workflow histories', () => {
  it('replay with the current workflow code, without non-determinism', async () => {
    // The folder's own histories, recorded by the current code, and those kept in its subfolders,
    // recorded before a rule revision (docs/workflows.md): both must replay.
    const files = (readdirSync(historiesDir, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.json'))
      .sort();
    // An empty folder would make this test pass while checking nothing.
    expect(files.length, 'aucun historique dans test/workflows/histories/').toBeGreaterThan(0);
    expect(files.filter((f) => !f.includes('/')).length, 'aucun historique récent').toBeGreaterThan(0);

    const histories = files.map((file) => ({
      workflowId: file.replace(/\.json$/, ''),
      history: historyFromJson(JSON.parse(readFileSync(join(historiesDir, file), 'utf8'))),
    }));
    const failures: string[] = [];
    const replayed: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowsPath }, histories)) {
      replayed.push(result.workflowId);
      if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed.sort()).toEqual(histories.map((h) => h.workflowId));
  }, 60_000);
});
