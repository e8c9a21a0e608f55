// schema.safeParse with French messages, at the price of a bare safeParse on valid input.
//
// zod 4 (4.6) runs a parse given any params — an error map, even `{ error: undefined }` — far slower
// than a bare one. Side by side on the bench VM: 1.7–3.0 µs against 0.13 µs for a one-field object,
// about twice the time per event over the bench store's mix, and a quarter of the decode's CPU in a
// rebuild (bench/RESULTS.md, « zod parses bare »). A rebuild decodes every event of the log and the
// API parses every request, so valid input is parsed bare, and only a refusal is parsed again with
// the error map, to word its issues.
import type { z } from 'zod';
import { frenchZodErrors } from './frenchZodErrors';

export function safeParseInFrench<S extends z.ZodType>(
  schema: S,
  input: unknown,
  error: z.core.$ZodErrorMap = frenchZodErrors,
): z.ZodSafeParseResult<z.output<S>> {
  const parsed = schema.safeParse(input);
  return parsed.success ? parsed : schema.safeParse(input, { error });
}
