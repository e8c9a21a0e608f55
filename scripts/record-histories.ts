// Records the Temporal histories that test/workflows/replay.int.spec.ts replays: a few real
// lifecycles run on the time-skipping server (real workflows, activities and SQLite store), each
// workflow's history saved as JSON in test/workflows/histories/. Re-run it, review the diff and
// commit when a workflow change is meant to be incompatible (with patched() for the runs in
// flight) or a new path deserves coverage:
//
//   npx tsx scripts/record-histories.ts
//
// Replaying these files with the current code is what makes a non-deterministic change fail CI.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as protoTypes from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { format, resolveConfig } from 'prettier';
import { applicationStreamName } from '../domain/application';
import { addDays, addYears } from '../domain/calendar';
import { campaignStreamName } from '../domain/campaign';
import {
  actors,
  approval,
  commit,
  decline,
  opinion,
  signByFunder,
  signByPorteur,
  workflowStory,
  yearlyReport,
  type Step,
  type WorkflowStory,
} from '../test/support/fixtures';
import { createTimeSkippingEnv } from '../test/support/temporal';
import { createHarness } from '../test/workflows/support/harness';

const historiesDir = new URL('../test/workflows/histories/', import.meta.url).pathname;

Runtime.install({ logger: new DefaultLogger('WARN') });

type History = protoTypes.temporal.api.history.v1.IHistory;

/**
 * The proto3 JSON of a history, as `temporal workflow show --output json` writes it. Not the SDK's
 * historyToJSON: here @temporalio/common and @temporalio/proto each get their own copy of
 * protobufjs (an older one sits at the root), and protojson refuses the other copy's types
 * ("type must be a Type"). Loading protojson from the copy @temporalio/proto uses avoids that;
 * the proto root is required as CommonJS, the shape patchProtobufRoot walks.
 */
function historyToJson(history: History): string {
  const requireProto = createRequire(createRequire(import.meta.url).resolve('@temporalio/proto'));
  const proto = requireProto('@temporalio/proto') as typeof protoTypes;
  const protojson = requireProto('protobufjs/ext/protojson') as {
    toJson(type: unknown, message: unknown): unknown;
  };
  const root = patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown };
  const historyType = root.lookupType('temporal.api.history.v1.History');
  return JSON.stringify(
    protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history)),
  );
}

/** A story ends with the workflow ids whose histories it wants kept, by file name. */
type Recorded = Record<string, string>;

const amounts = (years: number, cents: number) => Array.from({ length: years }, () => cents);

/** Declared eligible; the État and the EPCI commit, the conseil citoyen is favourable. */
async function coDecided(story: WorkflowStory, step: Step, years: number): Promise<void> {
  await step(actors.manager, { type: 'DeclareEligible', coDecisionDueDate: await story.today(20) });
  await step(actors.funder('ETAT'), commit('ETAT', amounts(years, 1_000_000)));
  await step(actors.funder('EPCI'), commit('EPCI', amounts(years, 500_000)));
  await step(actors.council, opinion('favourable'));
}

/** Approved, drafted and signed by all: returns the convention's start date. */
async function inForce(story: WorkflowStory, step: Step, years: number): Promise<string> {
  const today = await story.today();
  await step(
    actors.manager,
    approval('COPIL-REC', today, { ETAT: amounts(years, 1_000_000), EPCI: amounts(years, 400_000) }),
  );
  const start = addDays(today, 10);
  await step(actors.manager, {
    type: 'DraftConvention',
    startDate: start,
    signatureDueDate: addDays(today, 8),
  });
  await step(actors.porteur(), signByPorteur);
  await step(actors.funder('ETAT'), signByFunder('ETAT'));
  await step(actors.funder('EPCI'), signByFunder('EPCI'));
  return start;
}

const perYear = { ETAT: 1_000_000, REGION: 800_000, EPCI: 500_000 };

/** The one-year action: co-decision, annual convention, one report, closure. */
async function oneYear(story: WorkflowStory): Promise<Recorded> {
  await story.openCampaign('rec-annual');
  const { applicationId, step } = await story.submit('rec-annual', { durationYears: 1, perYear });
  await coDecided(story, step, 1);
  await step(actors.funder('REGION'), decline('REGION', 'Hors des priorités régionales.'));
  const start = await inForce(story, step, 1);
  await story.sleepUntil(addYears(start, 1));
  await step(actors.porteur(), yearlyReport(1, { ETAT: 1_000_000, EPCI: 400_000 }));
  await step(actors.manager, { type: 'AcceptYearlyReport', year: 1 });
  await step(actors.manager, { type: 'CloseApplication' });
  return {
    'campaign-annual': campaignStreamName('rec-annual'),
    'application-one-year-closed': applicationStreamName(applicationId),
  };
}

/** The four-year CPO: complements, a silent funder, an overdue report, a recovery, closure. */
async function cpo(story: WorkflowStory): Promise<Recorded> {
  await story.openCampaign('rec-cpo');
  const { applicationId, step } = await story.submit('rec-cpo', { durationYears: 4, perYear });
  await step(actors.manager, {
    type: 'RequestComplements',
    items: ['Budget prévisionnel signé'],
    dueDate: await story.today(10),
  });
  await step(actors.porteur(), { type: 'ProvideComplements', response: 'Budget signé joint.' });
  const due = await story.today(20);
  await step(actors.manager, { type: 'DeclareEligible', coDecisionDueDate: due });
  await step(actors.funder('ETAT'), commit('ETAT', [1_000_000, 1_000_000, 1_000_000, 1_000_000]));
  await step(actors.funder('EPCI'), commit('EPCI', [500_000, 500_000, 500_000, 500_000]));
  await step(actors.council, opinion('favourable'));
  await story.sleepUntil(addDays(due, 1)); // the Région stays silent: lapsed by timer
  const start = await inForce(story, step, 4);
  const spent = { ETAT: 1_000_000, EPCI: 400_000 };
  await story.sleepUntil(addYears(start, 1));
  await step(actors.porteur(), yearlyReport(1, spent));
  await step(actors.manager, { type: 'AcceptYearlyReport', year: 1 });
  // Year 2's report is late: reminder and overdue by timer, filed afterwards.
  await story.sleepUntil(addDays(addYears(start, 2), 200));
  await step(actors.porteur(), yearlyReport(2, spent));
  await step(actors.manager, { type: 'AcceptYearlyReport', year: 2 });
  await story.sleepUntil(addYears(start, 3));
  await step(actors.porteur(), yearlyReport(3, { ETAT: 300_000, EPCI: 400_000 })); // recovery
  await step(actors.manager, { type: 'AcceptYearlyReport', year: 3 });
  await story.sleepUntil(addYears(start, 4));
  await step(actors.porteur(), yearlyReport(4, spent));
  await step(actors.manager, { type: 'AcceptYearlyReport', year: 4 });
  await step(actors.manager, { type: 'CloseApplication' });
  return { 'application-cpo-closed': applicationStreamName(applicationId) };
}

/** Withdrawn during co-decision: the envelopes release what was reserved. */
async function withdrawn(story: WorkflowStory): Promise<Recorded> {
  await story.openCampaign('rec-withdrawn');
  const { applicationId, step } = await story.submit('rec-withdrawn', { durationYears: 2, perYear });
  await coDecided(story, step, 2);
  await step(actors.porteur(), { type: 'WithdrawApplication', reason: 'Action reportée.' });
  return { 'application-withdrawn': applicationStreamName(applicationId) };
}

/** Terminated in year 2, with recovery of what was not justified. */
async function terminated(story: WorkflowStory): Promise<Recorded> {
  await story.openCampaign('rec-terminated');
  const { applicationId, step } = await story.submit('rec-terminated', { durationYears: 2, perYear });
  await coDecided(story, step, 2);
  await step(actors.funder('REGION'), decline('REGION', 'Hors des priorités régionales.'));
  const start = await inForce(story, step, 2);
  await story.sleepUntil(addYears(start, 1));
  await step(actors.porteur(), yearlyReport(1, { ETAT: 1_000_000, EPCI: 400_000 }));
  await step(actors.manager, { type: 'AcceptYearlyReport', year: 1 });
  await step(actors.manager, {
    type: 'TerminateConvention',
    reason: 'porteur_dissolved',
    comment: "Dissolution de l'association votée en assemblée générale.",
    justified: [{ funder: 'ETAT', year: 2, amountCents: 100_000 }],
  });
  return { 'application-terminated': applicationStreamName(applicationId) };
}

async function main(): Promise<void> {
  const env = await createTimeSkippingEnv();
  const h = await createHarness(env);
  const story = workflowStory(h);
  const running = h.worker.run();
  try {
    const recorded: Recorded = {};
    for (const play of [oneYear, cpo, withdrawn, terminated]) Object.assign(recorded, await play(story));

    mkdirSync(historiesDir, { recursive: true });
    for (const file of readdirSync(historiesDir))
      if (file.endsWith('.json')) rmSync(join(historiesDir, file));
    const prettier = await resolveConfig(join(historiesDir, 'x.json'));
    for (const [name, workflowId] of Object.entries(recorded)) {
      const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
      // Formatted as the repository's `prettier --check .` expects, so the files pass the lint.
      const json = await format(historyToJson(history), { ...prettier, parser: 'json' });
      const path = join(historiesDir, `${name}.json`);
      writeFileSync(path, json);
      process.stdout.write(`${path} : ${history.events?.length ?? 0} événements\n`);
    }
  } finally {
    h.worker.shutdown();
    await running;
    await h.close();
    await env.teardown();
  }
}

await main();
