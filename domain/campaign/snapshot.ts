// What an application needs to know of its campaign at submission. The command carries it so the
// application's decide stays pure; build it with toCampaignSnapshot from the campaign's state.
import { z } from 'zod';
import { compareInstants } from '../calendar';
import { qpvCodeSchema } from '../reference/qpv';
import { actionThemeCodeSchema } from '../reference/themes';
import { funderIdSchema } from '../shared/funders';
import { submissionWindowSchema } from './events';
import type { CampaignState } from './state';

export const campaignSnapshotSchema = z.object({
  campaignId: z.string().min(1),
  year: z.number().int(),
  status: z.enum(['draft', 'open', 'closed']),
  submissionWindow: submissionWindowSchema,
  themes: z.array(actionThemeCodeSchema),
  funders: z.array(funderIdSchema).min(1),
  maxDurationYears: z.number().int().min(1).max(4),
  publicShareCapPercent: z.number().min(0).max(100),
  /** The territory's quartiers (the contrat de ville's QPV). */
  qpvCodes: z.array(qpvCodeSchema).min(1),
  /**
   * Codes that exist at all (e.g. the whole national reference): a dossier naming a code outside
   * this list is refused, while a known code outside the territory only fails an eligibility
   * finding. Defaults to the territory's codes and those of its reference (qpvReferenceVersion).
   */
  knownQpvCodes: z.array(qpvCodeSchema).optional(),
  /**
   * The QPV reference the territory was drawn from (territory.qpvReferenceVersion): without
   * knownQpvCodes, its quartiers are the codes known; frozen in the application's terms, so that an
   * amended dossier is checked against the same reference.
   */
  qpvReferenceVersion: z.string().min(1).optional(),
});
export type CampaignSnapshot = z.infer<typeof campaignSnapshotSchema>;

export function toCampaignSnapshot(state: CampaignState): CampaignSnapshot | undefined {
  if (state.status === 'not_created') return undefined;
  // Opened by hand before its date (« Ouvrir »): its window opened then, and porteurs may file.
  const openedAt = state.status === 'draft' ? null : state.openedAt;
  const openedEarly = openedAt !== null && compareInstants(openedAt, state.submissionWindow.opensAt) < 0;
  return {
    campaignId: state.campaignId,
    year: state.year,
    status: state.status,
    submissionWindow: openedEarly ? { ...state.submissionWindow, opensAt: openedAt } : state.submissionWindow,
    themes: state.themes,
    funders: state.funders.map((f) => f.funder),
    maxDurationYears: state.maxDurationYears,
    publicShareCapPercent: state.publicShareCapPercent,
    qpvCodes: state.territory.qpvCodes,
    qpvReferenceVersion: state.territory.qpvReferenceVersion,
  };
}
