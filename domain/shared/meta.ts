import { z } from 'zod';
import { instantSchema } from '../calendar';
import { roleSchema } from './roles';

export const actorSchema = z.object({
  id: z.string().min(1),
  role: roleSchema,
  /** For a funder: its FunderId (ETAT, REGION, ..., COMMUNE-59392). */
  institution: z.string().min(1).optional(),
  /** For a porteur: the organisation account it acts for; ownership of applications is checked on it. */
  porteurId: z.string().min(1).optional(),
  /**
   * For a porteur: its organisation's identifiers when its account carries them (the identity
   * provider vouches for them); a dossier is then filed in that organisation's name only.
   */
  siret: z.string().min(1).optional(),
  rna: z.string().min(1).optional(),
});
export type Actor = z.infer<typeof actorSchema>;

export const commandMetaSchema = z.object({
  actor: actorSchema,
  /** Business time of the command: decide reads the time from here, never from a clock. */
  at: instantSchema,
  /** Unique per command; the workflow derives event ids from it so a retry repeats them. */
  commandId: z.string().min(1),
  /** The revision of the business rules to decide under (ruleRevisions.ts); absent: the latest. */
  ruleRevision: z.number().int().min(1).optional(),
});
export type CommandMeta = z.infer<typeof commandMetaSchema>;
