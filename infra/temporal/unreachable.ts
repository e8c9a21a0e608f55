// How a call to Temporal failed, when it got no answer at all: the server not reachable (gRPC
// UNAVAILABLE: killed, restarting, a network in between), or reachable but nothing answered in time
// (DEADLINE_EXCEEDED: a query or an update no worker took — the workers stopped or overloaded). The
// SDK wraps the gRPC error in its own (ServiceError, an update's RPC timeout): its causes are read.
import { isGrpcServiceError } from '@temporalio/client';

/** gRPC status codes (grpc.status). */
const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;

export type TemporalSilence = 'unreachable' | 'no-answer-in-time';

/** Which silence the error, or one of its causes, is; undefined for any other error. */
export function temporalSilence(error: unknown): TemporalSilence | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1) {
    if (!isGrpcServiceError(e)) continue;
    const code: number = e.code;
    if (code === UNAVAILABLE) return 'unreachable';
    if (code === DEADLINE_EXCEEDED) return 'no-answer-in-time';
  }
  return undefined;
}
