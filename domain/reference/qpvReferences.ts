// The QPV references the engine knows, by version: a campaign names the version it was built on
// (territory.qpvReferenceVersion) and GET /api/reference/qpv/:version returns it, so the console
// names the quartiers from the API rather than from a copy of its own.
import { qpvCodesOf, qpvSampleCamvs, type QpvReference } from './qpv';

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

/**
 * The quartiers a dossier may name: the territory's, and every quartier of the reference the
 * campaign was built on (one outside the territory is filed, and the eligibility finding « Quartiers
 * visés hors du territoire » says so); a code in neither is unknown. A version the engine does not
 * know leaves the territory's codes only.
 */
export function knownQuartiers(
  territoryQpvCodes: readonly string[],
  referenceVersion: string | undefined,
): string[] {
  const reference = referenceVersion === undefined ? undefined : qpvReference(referenceVersion);
  return [...new Set([...territoryQpvCodes, ...(reference === undefined ? [] : qpvCodesOf(reference))])];
}
