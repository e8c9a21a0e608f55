// The statuses of an application in the API's own words (its `statusLabel`, from
// services/readModels/applications/facts.ts: the domain's, with a capital), word for word; for the
// pages that know only a status code (an as-of replay, a step's answer). Imports nothing, so that a
// test reads it in Node and holds it to the API's (test/console/statusLabels.unit.spec.ts).
export const statusLabels = {
  not_submitted: 'Non déposée',
  under_review: 'En instruction (recevabilité)',
  awaiting_complements: 'En attente de compléments',
  co_decision: 'En co-décision des financeurs',
  approved: 'Approuvée par le comité de pilotage',
  awaiting_signatures: 'Convention en signature',
  in_force: 'Convention en vigueur',
  withdrawn: 'Retirée',
  ineligible: 'Irrecevable',
  rejected: 'Rejetée',
  lapsed: 'Caduque',
  closed: 'Clôturée',
  terminated: 'Résiliée',
};
