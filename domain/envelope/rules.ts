import { ofTheFunder } from '../reference/funders';
import { ruleFor, type RuleTable } from '../shared/decision';
import { atField, domainError } from '../shared/errors';
import { formatEuros, sumCents } from '../shared/money';
import { accept, refuse } from '../shared/result';
import type { ParsedEnvelopeCommand } from './commands';
import type { EnvelopeEvent } from './events';
import { remainingCents, type EnvelopeState } from './state';

const rule = ruleFor<EnvelopeState, EnvelopeEvent>();
type Cmd<K extends ParsedEnvelopeCommand['type']> = Extract<ParsedEnvelopeCommand, { type: K }>;

const sameAmounts = (
  a: { year: number; amountCents: number }[],
  b: { year: number; amountCents: number }[],
): boolean =>
  a.length === b.length && a.every((x, i) => x.year === b[i]?.year && x.amountCents === b[i]?.amountCents);

export const envelopeRules: RuleTable<ParsedEnvelopeCommand, EnvelopeState, EnvelopeEvent> = {
  OpenEnvelope: rule<Cmd<'OpenEnvelope'>, 'not_opened'>({
    label: "l'ouverture de l'enveloppe",
    roles: ['grant_manager', 'system'],
    statuses: ['not_opened'],
    handle: (c) =>
      accept<EnvelopeEvent>({
        type: 'EnvelopeOpened',
        data: { campaignId: c.campaignId, funder: c.funder, amountCents: c.amountCents },
      }),
  }),

  AdjustEnvelope: rule<Cmd<'AdjustEnvelope'>, 'open'>({
    label: "l'ajustement de l'enveloppe",
    roles: ['grant_manager', 'system'],
    statuses: ['open'],
    handle: (c, s) => {
      if (c.amountCents < s.reservedCents) {
        return refuse(
          atField(
            domainError(
              'ENVELOPE_BELOW_RESERVED',
              `${formatEuros(s.reservedCents)} sont déjà réservés sur l'enveloppe ${ofTheFunder(s.funder)} : elle ne peut pas descendre à ${formatEuros(c.amountCents)}. Libérez d'abord des réservations ou choisissez au moins ${formatEuros(s.reservedCents)}.`,
              { reservedCents: s.reservedCents },
            ),
            'amountCents',
          ),
        );
      }
      if (c.amountCents === s.amountCents) return accept<EnvelopeEvent>();
      return accept<EnvelopeEvent>({
        type: 'EnvelopeAdjusted',
        data: { previousCents: s.amountCents, amountCents: c.amountCents, reason: c.reason },
      });
    },
  }),

  ReserveFunds: rule<Cmd<'ReserveFunds'>, 'open'>({
    label: 'la réservation de crédits',
    roles: ['funder', 'grant_manager', 'system'],
    statuses: ['open'],
    institutions: (s) => [s.funder],
    institutionOf: (c) => c.funder,
    handle: (c, s) => {
      if (c.funder !== s.funder) {
        return refuse(
          domainError(
            'WRONG_ENVELOPE',
            `Cette enveloppe est celle ${ofTheFunder(s.funder)}, pas ${ofTheFunder(c.funder)} : adressez la réservation au bon flux.`,
          ),
        );
      }
      const years = c.amountsByYear.map((y) => y.year);
      if (new Set(years).size !== years.length) {
        return refuse(
          domainError('DUPLICATE_YEAR', "Chaque année ne peut figurer qu'une fois dans la réservation."),
        );
      }
      const amountsByYear = c.amountsByYear.filter((y) => y.amountCents > 0).sort((a, b) => a.year - b.year);
      const total = sumCents(amountsByYear.map((y) => y.amountCents));
      if (total === 0) {
        return refuse(
          domainError(
            'EMPTY_RESERVATION',
            'Une réservation de 0 € ne réserve rien : pour rendre les crédits, libérez la réservation.',
          ),
        );
      }
      const previous = s.reservations.get(c.applicationId);
      if (previous && sameAmounts(previous.amountsByYear, amountsByYear)) return accept<EnvelopeEvent>();
      const previousTotal = previous?.totalCents ?? 0;
      const available = remainingCents(s) + previousTotal;
      if (total > available) {
        return refuse(
          domainError(
            'ENVELOPE_EXCEEDED',
            `L'enveloppe ${ofTheFunder(s.funder)} pour cette campagne n'a plus que ${formatEuros(available)} disponibles pour cette candidature : ${formatEuros(total)} la dépasseraient de ${formatEuros(total - available)}. Réduisez le montant ou faites ajuster l'enveloppe.`,
            { availableCents: available, requestedCents: total },
          ),
        );
      }
      return accept<EnvelopeEvent>({
        type: 'FundsReserved',
        data: {
          applicationId: c.applicationId,
          amountsByYear,
          totalCents: total,
          previousTotalCents: previousTotal,
        },
      });
    },
  }),

  ReleaseFunds: rule<Cmd<'ReleaseFunds'>, 'open'>({
    label: 'la libération de crédits',
    roles: ['grant_manager', 'system'],
    statuses: ['open'],
    handle: (c, s) => {
      const reservation = s.reservations.get(c.applicationId);
      if (!reservation) return accept<EnvelopeEvent>();
      return accept<EnvelopeEvent>({
        type: 'FundsReleased',
        data: { applicationId: c.applicationId, amountCents: reservation.totalCents, reason: c.reason },
      });
    },
  }),
};
