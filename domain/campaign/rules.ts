import { compareInstants, formatFrenchInstantDate, formatFrenchUntil, normalizeInstant } from '../calendar';
import { ruleFor, type RuleTable } from '../shared/decision';
import { atField, domainError } from '../shared/errors';
import { funderName } from '../reference/funders';
import { accept, refuse } from '../shared/result';
import type { ParsedCampaignCommand } from './commands';
import type { CampaignEvent } from './events';
import type { CampaignState } from './state';

const rule = ruleFor<CampaignState, CampaignEvent>();
type Cmd<K extends ParsedCampaignCommand['type']> = Extract<ParsedCampaignCommand, { type: K }>;

export const campaignRules: RuleTable<ParsedCampaignCommand, CampaignState, CampaignEvent> = {
  CreateCampaign: rule<Cmd<'CreateCampaign'>, 'not_created'>({
    label: 'la création de la campagne',
    roles: ['grant_manager'],
    statuses: ['not_created'],
    handle: (c) => {
      const { type: _type, ...terms } = c;
      if (compareInstants(terms.submissionWindow.opensAt, terms.submissionWindow.closesAt) >= 0) {
        return refuse(
          atField(
            domainError(
              'INVALID_WINDOW',
              "La fenêtre de dépôt doit s'ouvrir avant de se fermer : corrigez les dates d'ouverture et de clôture.",
            ),
            'submissionWindow',
            'closesAt',
          ),
        );
      }
      const funders = terms.funders.map((f) => f.funder);
      const duplicateAt = funders.findIndex((f, i) => funders.indexOf(f) !== i);
      const duplicate = funders[duplicateAt];
      if (duplicate !== undefined) {
        return refuse(
          atField(
            domainError(
              'DUPLICATE_FUNDER',
              `${funderName(duplicate)} figure deux fois : une seule enveloppe par financeur.`,
            ),
            'funders',
            duplicateAt,
            'funder',
          ),
        );
      }
      return accept<CampaignEvent>({
        type: 'CampaignCreated',
        data: {
          ...terms,
          themes: [...new Set(terms.themes)],
          submissionWindow: {
            opensAt: normalizeInstant(terms.submissionWindow.opensAt),
            closesAt: normalizeInstant(terms.submissionWindow.closesAt),
          },
          territory: { ...terms.territory, qpvCodes: [...new Set(terms.territory.qpvCodes)] },
        },
      });
    },
  }),

  OpenCampaign: rule<Cmd<'OpenCampaign'>, 'draft'>({
    label: "l'ouverture de la campagne",
    roles: ['grant_manager', 'system'],
    statuses: ['draft'],
    hint: (s) => `Ouverture automatique le ${formatFrenchInstantDate(s.submissionWindow.opensAt)}.`,
    handle: (_c, s, meta) => {
      if (meta.actor.role === 'system' && compareInstants(meta.at, s.submissionWindow.opensAt) < 0) {
        return refuse(
          domainError(
            'DEADLINE_NOT_REACHED',
            `L'ouverture automatique n'est prévue que le ${formatFrenchInstantDate(s.submissionWindow.opensAt)}.`,
          ),
        );
      }
      return accept<CampaignEvent>({
        type: 'CampaignOpened',
        data: {
          openedAt: normalizeInstant(meta.at),
          trigger: meta.actor.role === 'system' ? 'window_start' : 'manual',
        },
      });
    },
  }),

  CloseCampaign: rule<Cmd<'CloseCampaign'>, 'draft' | 'open'>({
    label: 'la clôture de la campagne',
    roles: ['grant_manager', 'system'],
    statuses: ['draft', 'open'],
    hint: (s) =>
      `Dépôt possible ${formatFrenchUntil(s.submissionWindow.closesAt)} ; clôture automatique ensuite.`,
    handle: (c, s, meta) => {
      if (meta.actor.role === 'system' && compareInstants(meta.at, s.submissionWindow.closesAt) < 0) {
        return refuse(
          domainError(
            'DEADLINE_NOT_REACHED',
            `La clôture automatique n'est prévue qu'à la fin de la fenêtre de dépôt, ouverte ${formatFrenchUntil(s.submissionWindow.closesAt)}.`,
          ),
        );
      }
      const data: Extract<CampaignEvent, { type: 'CampaignClosed' }>['data'] = {
        closedAt: normalizeInstant(meta.at),
        trigger: meta.actor.role === 'system' ? 'window_end' : 'manual',
      };
      if (c.reason !== undefined) data.reason = c.reason;
      return accept<CampaignEvent>({ type: 'CampaignClosed', data });
    },
  }),

  AdjustFunderEnvelope: rule<Cmd<'AdjustFunderEnvelope'>, 'draft' | 'open' | 'closed'>({
    label: "l'ajustement d'une enveloppe",
    roles: ['grant_manager'],
    statuses: ['draft', 'open', 'closed'],
    handle: (c, s) => {
      const current = s.funders.find((f) => f.funder === c.funder);
      if (!current) {
        return refuse(
          atField(
            domainError(
              'UNKNOWN_FUNDER',
              `${funderName(c.funder)} ne participe pas à cette campagne ; financeurs : ${s.funders.map((f) => funderName(f.funder)).join(', ')}.`,
            ),
            'funder',
          ),
        );
      }
      // Same amount: accepted, nothing to record (a retried request stays harmless).
      if (current.envelopeCents === c.amountCents) return accept<CampaignEvent>();
      return accept<CampaignEvent>({
        type: 'FunderEnvelopeAdjusted',
        data: {
          funder: c.funder,
          previousCents: current.envelopeCents,
          amountCents: c.amountCents,
          reason: c.reason,
        },
      });
    },
  }),
};
