// Typed events without knowing any: the caller (domain/) hands in EventDefinition objects; the
// registry validates data on append and, on read, upcasts data stored under an older schema version
// to the current one before validating it. infra/ knows nothing of grants.
import { safeParseInFrench } from '../validation/safeParseInFrench';
import { z } from 'zod';
import { EventValidationError, UnknownEventTypeError, type ValidationIssue } from './errors';
import type { EventDefinition, NewEvent, Upcaster } from './port';

export interface EventRegistry {
  /** Validates one new event (envelope, metadata, data); returns the data to store and its version. */
  prepareForAppend(event: NewEvent): { data: unknown; schemaVersion: number };
  /** Upcasts stored data to the current version and validates it. Throws EventValidationError. */
  decode(
    type: string,
    schemaVersion: number,
    data: unknown,
    where: { stream: string; revision: bigint; position: bigint; id: string },
  ): unknown;
  /** The definition in force for a type, if any. */
  definition(type: string): EventDefinition | undefined;
}

export interface EventRegistryOptions {
  /**
   * 'reject' (default): an event type without a definition cannot be appended nor read.
   * 'passthrough': such events are stored at version 1 and read as stored, unvalidated — for tools
   * that move or inspect logs without the domain's definitions.
   */
  unknownTypes?: 'reject' | 'passthrough';
}

/** Identity, for inference: `export const AmountRecorded = defineEvent({ type: 'AmountRecorded', ... })`. */
export function defineEvent<T extends string, S extends z.ZodType>(
  definition: EventDefinition<T, S>,
): EventDefinition<T, S> {
  return definition;
}

/** The data type of a definition's current version. */
export type EventDataOf<D extends EventDefinition> = z.output<D['schema']>;

/**
 * An upcaster that first checks the old data against the old version's schema, so the conversion is
 * written against a typed value and a stored event that does not fit is reported with its field path.
 */
export function upcastWith<S extends z.ZodType>(
  oldSchema: S,
  convert: (old: z.output<S>) => unknown,
): Upcaster {
  return (data) => convert(oldSchema.parse(data));
}

const issuePath = (prefix: string, path: readonly PropertyKey[]): string =>
  [prefix, ...path.map((p) => (typeof p === 'symbol' ? p.toString() : String(p)))].join('.');

export const toIssues = (prefix: string, error: z.ZodError): ValidationIssue[] =>
  error.issues.map((i) => ({ path: issuePath(prefix, i.path), message: i.message }));

const uuid = z.uuid();
const nonEmpty = z.string().min(1);
// Identifiers only: names, emails and other personal data stay out of (hashed, unerasable) metadata.
const metadataSchema = z.object({
  correlationId: nonEmpty,
  causationId: nonEmpty,
  actor: z.object({ id: nonEmpty, role: nonEmpty, institution: nonEmpty.optional() }),
  occurredAt: z.iso.datetime({ offset: true }),
  workflowId: nonEmpty.optional(),
  runId: nonEmpty.optional(),
});
/** `$` prefixes are EventStoreDB's system streams and types; refusing them keeps both backends alike. */
const typeName = z
  .string()
  .min(1)
  .max(200)
  .refine((s) => !s.startsWith('$'), 'ne doit pas commencer par $');

export const streamNameSchema = typeName;

/** Validates the envelope and metadata of a new event; throws EventValidationError naming the field. */
export function validateEnvelope(event: NewEvent): void {
  const issues: ValidationIssue[] = [];
  const id = uuid.safeParse(event.id);
  if (!id.success) issues.push(...toIssues('id', id.error));
  const type = typeName.safeParse(event.type);
  if (!type.success) issues.push(...toIssues('type', type.error));
  const metadata = safeParseInFrench(metadataSchema, event.metadata);
  if (!metadata.success) issues.push(...toIssues('metadata', metadata.error));
  if (issues.length > 0) {
    throw new EventValidationError(
      String(event.type),
      typeof event.id === 'string' ? event.id : undefined,
      issues,
      'append',
    );
  }
}

interface Entry {
  definition: EventDefinition;
  /** upcasters[v] for v = 1 .. version - 1, checked complete at registration. */
  chain: Upcaster[];
}

export function createEventRegistry(
  definitions: readonly EventDefinition[],
  options: EventRegistryOptions = {},
): EventRegistry {
  const entries = new Map<string, Entry>();
  for (const definition of definitions) {
    if (entries.has(definition.type)) throw new Error(`Event type ${definition.type} defined twice`);
    if (!Number.isInteger(definition.version) || definition.version < 1) {
      throw new Error(`Event type ${definition.type}: version must be an integer ≥ 1`);
    }
    const chain: Upcaster[] = [];
    for (let v = 1; v < definition.version; v++) {
      const upcaster = definition.upcasters?.[v];
      // Fail at start-up, not on the first old event an auditor replays years later.
      if (!upcaster)
        throw new Error(`Event type ${definition.type}: no upcaster from version ${v} to ${v + 1}`);
      chain[v] = upcaster;
    }
    entries.set(definition.type, { definition, chain });
  }
  const passthrough = options.unknownTypes === 'passthrough';

  return {
    definition: (type) => entries.get(type)?.definition,

    prepareForAppend(event) {
      validateEnvelope(event);
      const entry = entries.get(event.type);
      if (!entry) {
        if (passthrough) return { data: event.data, schemaVersion: 1 };
        throw new UnknownEventTypeError(event.type);
      }
      const parsed = safeParseInFrench(entry.definition.schema, event.data);
      if (!parsed.success) {
        throw new EventValidationError(event.type, event.id, toIssues('data', parsed.error), 'append');
      }
      return { data: parsed.data, schemaVersion: entry.definition.version };
    },

    decode(type, schemaVersion, data, where) {
      const entry = entries.get(type);
      if (!entry) {
        if (passthrough) return data;
        throw new UnknownEventTypeError(type, undefined, where);
      }
      const { definition, chain } = entry;
      let current = data;
      if (schemaVersion !== definition.version) {
        if (!Number.isInteger(schemaVersion) || schemaVersion < 1 || schemaVersion > definition.version) {
          throw new UnknownEventTypeError(type, schemaVersion, where);
        }
        for (let v = schemaVersion; v < definition.version; v++) {
          try {
            current = chain[v]!(current);
          } catch (error) {
            const issues =
              error instanceof z.ZodError
                ? toIssues(`data@v${v}`, error)
                : [{ path: `data@v${v}`, message: error instanceof Error ? error.message : String(error) }];
            throw new EventValidationError(type, where.id, issues, 'read', where);
          }
        }
      }
      const parsed = safeParseInFrench(definition.schema, current);
      if (!parsed.success)
        throw new EventValidationError(type, where.id, toIssues('data', parsed.error), 'read', where);
      return parsed.data;
    },
  };
}
