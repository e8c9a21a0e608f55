// Request bodies refuse unknown fields at every depth, not only at the top: zod's plain z.object
// strips them silently, so a misspelt nested field (`position.reasn`) would be dropped and the person
// never told. The domain's schemas are left as they are; the HTTP layer takes a strict copy of them,
// which the OpenAPI document is generated from too (`additionalProperties: false` on every object).
import { z } from 'zod';

type Def = z.core.$ZodTypeDef & Record<string, unknown>;

const strictened = new WeakMap<z.core.$ZodType, z.core.$ZodType>();

/**
 * A copy of the schema whose every object (inside arrays, unions, discriminated unions, optionals,
 * defaults, pipes, records, tuples) refuses unknown keys. Objects given a catchall on purpose
 * (`z.looseObject`, `.catchall(…)`) keep it. Checks and refinements are kept (the definition is
 * copied), and so is metadata (the copy inherits its original's). Subtrees with nothing to change are
 * returned as they are.
 */
export function strictDeep<S extends z.core.$ZodType>(schema: S): S {
  const known = strictened.get(schema);
  if (known !== undefined) return known as S;
  const result = rebuild(schema);
  strictened.set(schema, result);
  return result as S;
}

/**
 * Where each kind of schema keeps the schemas inside it: single ones, then lists. Discriminated unions
 * are unions with a discriminator (their option map is rebuilt from the copies). Kinds not listed have
 * none, or are left as they are: an intersection's sides each see the other's keys (strict sides would
 * refuse them), and lazy schemas, built on demand for recursion, appear in no request body.
 */
const innerSchemas: Partial<Record<Def['type'], { one?: string[]; many?: string[] }>> = {
  array: { one: ['element'] },
  union: { many: ['options'] },
  tuple: { one: ['rest'], many: ['items'] },
  record: { one: ['valueType'] },
  pipe: { one: ['in', 'out'] },
  optional: { one: ['innerType'] },
  nullable: { one: ['innerType'] },
  default: { one: ['innerType'] },
  prefault: { one: ['innerType'] },
  nonoptional: { one: ['innerType'] },
  readonly: { one: ['innerType'] },
  catch: { one: ['innerType'] },
};

function rebuild(schema: z.core.$ZodType): z.core.$ZodType {
  const def = schema._zod.def as Def;
  const changes: Record<string, unknown> = {};
  if (def.type === 'object') {
    const shape = def.shape as Record<string, z.core.$ZodType>;
    const strictShape = Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, strictDeep(v)]));
    if (Object.keys(shape).some((k) => strictShape[k] !== shape[k])) changes.shape = strictShape;
    // Only zod's default (no catchall: strip) is tightened; a catchall set on purpose stays.
    if (def.catchall === undefined) changes.catchall = z.never();
  }
  const inner = innerSchemas[def.type];
  for (const key of inner?.one ?? []) {
    // A tuple without rest has `rest: null`.
    const child = def[key] as z.core.$ZodType | null | undefined;
    if (child === undefined || child === null) continue;
    const strict = strictDeep(child);
    if (strict !== child) changes[key] = strict;
  }
  for (const key of inner?.many ?? []) {
    const list = def[key] as readonly z.core.$ZodType[] | undefined;
    if (list === undefined) continue;
    const strict = list.map(strictDeep);
    if (strict.some((s, i) => s !== list[i])) changes[key] = strict;
  }
  if (Object.keys(changes).length === 0) return schema;
  return z.core.clone(schema, z.core.util.mergeDefs(def, changes) as z.core.$ZodTypeDef, { parent: true });
}
