// The QPV references the engine knows, by version: a campaign names the version it was built on
// (territory.qpvReferenceVersion) and GET /api/reference/qpv/:version returns it, so the console
// names the quartiers from the API rather than from a copy of its own.
import { qpvSampleCamvs, type QpvReference } from './qpv';

/**
 * Today only the demonstration sample (real quartier names, placeholder codes). The official ANCT
 * file (QP2024, GeoJSON or CSV) would be registered here once read with parseQpvGeoJson or
 * parseQpvCsv of domain/reference/qpv.ts, under the version given to its SourceInfo.
 */
const references: readonly QpvReference[] = [qpvSampleCamvs];

const byVersion = new Map(references.map((r) => [r.version, r]));

/** The reference of that version, or undefined when the engine does not know it. */
export const qpvReference = (version: string): QpvReference | undefined => byVersion.get(version);

/** The versions known, in registration order. */
export const qpvReferenceVersions = (): string[] => references.map((r) => r.version);
