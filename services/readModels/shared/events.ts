// From the store's envelopes to the domain's event unions. The store validated (and upcast) every
// event's data against these very definitions before handing it over (workflows/eventCatalog.ts),
// so once the type is known to belong to an aggregate the data has that aggregate's shape.
import type { RecordedEvent } from '../../../infra/eventstore/port';
import { applicationEventDefinitions, type ApplicationEvent } from '../../../domain/application';
import { campaignEventDefinitions, type CampaignEvent } from '../../../domain/campaign';
import { envelopeEventDefinitions, type EnvelopeEvent } from '../../../domain/envelope';

export const applicationEventTypes: readonly string[] = applicationEventDefinitions.map((d) => d.type);
export const campaignEventTypes: readonly string[] = campaignEventDefinitions.map((d) => d.type);
export const envelopeEventTypes: readonly string[] = envelopeEventDefinitions.map((d) => d.type);

const applicationTypes = new Set(applicationEventTypes);
const campaignTypes = new Set(campaignEventTypes);
const envelopeTypes = new Set(envelopeEventTypes);

export const APPLICATION_STREAM_PREFIX = 'application-';

export function asApplicationEvent(event: RecordedEvent): ApplicationEvent | undefined {
  if (!applicationTypes.has(event.type)) return undefined;
  return { type: event.type, data: event.data } as ApplicationEvent;
}

export function asCampaignEvent(event: RecordedEvent): CampaignEvent | undefined {
  if (!campaignTypes.has(event.type)) return undefined;
  return { type: event.type, data: event.data } as CampaignEvent;
}

export function asEnvelopeEvent(event: RecordedEvent): EnvelopeEvent | undefined {
  if (!envelopeTypes.has(event.type)) return undefined;
  return { type: event.type, data: event.data } as EnvelopeEvent;
}

/** The application id of an event of an application stream (`application-<id>`). */
export function applicationIdOf(event: RecordedEvent): string {
  if (!event.stream.startsWith(APPLICATION_STREAM_PREFIX)) {
    throw new Error(`Événement ${event.type} (${event.id}) hors d'un flux de candidature : ${event.stream}`);
  }
  return event.stream.slice(APPLICATION_STREAM_PREFIX.length);
}
