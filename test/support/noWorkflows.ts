// A GrantsClient for an API whose routes under test never reach the workflows (the query routes):
// any call fails loudly, naming where it happened, instead of a workflow being started by mistake.
import type { GrantsClient } from '../../workflows/client';

export function noWorkflowsClient(where: string): GrantsClient {
  const fail = (): never => {
    throw new Error(`${where} : aucun workflow ne doit être appelé ici.`);
  };
  return {
    createCampaign: fail,
    campaignCommand: fail,
    campaignView: fail,
    submitApplication: fail,
    applicationCommand: fail,
    applicationView: fail,
    allowedFor: fail,
  };
}
