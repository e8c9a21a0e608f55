import { z } from 'zod';

/** 'system' is the workflow itself, when a timer fires (deadlines). */
export const roles = [
  'porteur',
  'grant_manager',
  'funder',
  'citizen_council',
  'auditor',
  'evaluator',
  'system',
] as const;
export const roleSchema = z.enum(roles);
export type Role = z.infer<typeof roleSchema>;

export const roleLabels: Record<Role, string> = {
  porteur: 'porteur de projet',
  grant_manager: 'chargé de mission',
  funder: 'financeur',
  citizen_council: 'conseil citoyen',
  auditor: 'auditeur',
  evaluator: 'évaluateur',
  system: 'système, à échéance',
};
