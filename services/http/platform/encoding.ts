// Content negotiation for compressed responses: whether a request takes gzip. Kept apart because
// the query answers (kept gzipped beside their JSON) and the audit's CSV exports (gzipped as they
// stream) both ask it.
import type { Request } from 'express';

/** Whether the request takes gzip (Accept-Encoding, with its q-values: `gzip;q=0` refuses it). */
export function acceptsGzip(req: Request): boolean {
  const header = req.headers['accept-encoding'];
  // Most requests settle here without the negotiator: no header, or no gzip in it.
  if (header === undefined || !header.includes('gzip')) return false;
  return req.acceptsEncodings('gzip', 'identity') === 'gzip';
}
