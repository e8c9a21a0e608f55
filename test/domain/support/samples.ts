// A well-formed command of each type, fitted to the situation when the state allows (the first
// solicited funder, the first expected report…), with the actor who would send it and when.
import {
  compareInstants,
  dueInstallments,
  type Actor,
  type ApplicationCommand,
  type ApplicationCommandType,
  type FunderId,
} from '../../../domain';
import { actors, APPLICATION_ID, campaign2027, dossier } from './fixtures';
import type { Story } from './story';

export interface Sample {
  command: ApplicationCommand;
  actor: Actor;
  at: string;
}

export function sampleCommand(type: ApplicationCommandType, story: Story): Sample {
  const s = story.state;
  const human = (command: ApplicationCommand, actor: Actor): Sample => ({ command, actor, at: story.now });
  const timer = (command: ApplicationCommand): Sample => {
    const deadline = story
      .deadlines()
      .find((d) => d.command.type === command.type && JSON.stringify(d.command) === JSON.stringify(command));
    const at = deadline && compareInstants(deadline.dueAt, story.now) > 0 ? deadline.dueAt : story.now;
    return { command, actor: actors.system, at };
  };
  const reports = s.status === 'in_force' ? s.reports : [];
  const firstReport = (...statuses: string[]) => reports.find((r) => statuses.includes(r.status))?.year ?? 1;

  switch (type) {
    case 'SubmitApplication':
      return human(
        { type, applicationId: APPLICATION_ID, campaign: campaign2027, dossier: dossier(2) },
        actors.porteur,
      );
    case 'DeclareEligible':
      return human({ type, coDecisionDueDate: story.inDays(30) }, actors.grantManager);
    case 'DeclareIneligible':
      return human({ type, reasons: ['Aucun quartier prioritaire visé'] }, actors.grantManager);
    case 'RequestComplements':
      return human({ type, items: ['Statuts à jour'], dueDate: story.inDays(15) }, actors.grantManager);
    case 'ProvideComplements':
      return human({ type, response: 'Statuts joints', documentRefs: ['doc-statuts'] }, actors.porteur);
    case 'MarkComplementsMissed':
      return timer({ type, requestNumber: s.status === 'awaiting_complements' ? s.request.number : 1 });
    case 'RecordFunderPosition': {
      const funder: FunderId =
        s.status === 'co_decision' ? (s.coDecision.solicitedFunders[0] ?? 'ETAT') : 'ETAT';
      return human(
        {
          type,
          funder,
          position: { decision: 'committed', amountsByYear: [{ year: 1, amountCents: 100_000 }] },
        },
        actors.funder(funder),
      );
    }
    case 'GiveCitizenOpinion':
      return human(
        { type, opinion: 'favourable', comment: 'Action utile au quartier.' },
        actors.citizenCouncil,
      );
    case 'LapseSilentFunders':
      return timer({ type });
    case 'RecordCommitteeApproval': {
      const committed =
        s.status === 'co_decision'
          ? Object.entries(s.coDecision.positions).flatMap(([funder, p]) =>
              p.decision === 'committed' ? p.amountsByYear.map((a) => ({ funder, ...a })) : [],
            )
          : [];
      const plan = committed.length > 0 ? committed : [{ funder: 'ETAT', year: 1, amountCents: 100_000 }];
      return human(
        { type, decisionReference: 'COPIL-1', decisionDate: story.today, plan },
        actors.grantManager,
      );
    }
    case 'RecordCommitteeRejection':
      return human(
        { type, decisionReference: 'COPIL-1', decisionDate: story.today, reasons: ['Hors priorités'] },
        actors.grantManager,
      );
    case 'DraftConvention':
      return human(
        { type, startDate: '2027-01-01', signatureDueDate: story.inDays(30) },
        actors.grantManager,
      );
    case 'SignConvention': {
      if (s.status === 'awaiting_signatures') {
        const signed = s.signatures.map((x) =>
          x.signatory.kind === 'porteur' ? 'porteur' : x.signatory.funder,
        );
        const next = s.convention.signatories.find(
          (x) => !signed.includes(x.kind === 'porteur' ? 'porteur' : x.funder),
        );
        if (next?.kind === 'funder') return human({ type, signatory: next }, actors.funder(next.funder));
      }
      return human({ type, signatory: { kind: 'porteur' } }, actors.porteur);
    }
    case 'LapseConvention':
      return timer({ type });
    case 'RequestYearlyReport':
      return timer({ type, year: firstReport('not_due') });
    case 'SendReportReminder':
      return timer({ type, year: firstReport('expected') });
    case 'MarkReportOverdue':
      return timer({ type, year: firstReport('expected', 'changes_requested') });
    case 'SubmitYearlyReport': {
      const year = firstReport('expected', 'changes_requested');
      const plan = 'award' in s ? s.award.plan.filter((p) => p.year === year) : [];
      return human(
        {
          type,
          year,
          spentByFunder: plan.map((p) => ({ funder: p.funder, amountCents: p.amountCents })),
          beneficiariesReached: 50,
          narrative: 'Bilan',
        },
        actors.porteur,
      );
    }
    case 'AcceptYearlyReport':
      return human({ type, year: firstReport('submitted') }, actors.grantManager);
    case 'RequestReportChanges':
      return human(
        { type, year: firstReport('submitted'), comments: ['Préciser'], dueDate: story.inDays(20) },
        actors.grantManager,
      );
    case 'OrderPayment': {
      const due = s.status === 'in_force' ? dueInstallments(s)[0]?.id : undefined;
      return human({ type, installmentId: due ?? 'ETAT-y1-1' }, actors.grantManager);
    }
    case 'CloseApplication':
      return human({ type }, actors.grantManager);
    case 'TerminateConvention':
      return human({ type, reason: 'breach', comment: 'Action non réalisée' }, actors.grantManager);
    case 'WithdrawApplication':
      return human({ type, reason: 'Projet abandonné' }, actors.porteur);
    default: {
      const never: never = type;
      return never;
    }
  }
}

/** An actor of that role, with whatever institution / porteur account the role carries. */
export function actorOfRole(role: Actor['role']): Actor {
  switch (role) {
    case 'porteur':
      return actors.porteur;
    case 'funder':
      return actors.funder('ETAT');
    case 'grant_manager':
      return actors.grantManager;
    case 'citizen_council':
      return actors.citizenCouncil;
    case 'auditor':
      return actors.auditor;
    case 'evaluator':
      return actors.evaluator;
    case 'system':
      return actors.system;
    default: {
      const never: never = role;
      return never;
    }
  }
}
