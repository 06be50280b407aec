import type { z } from 'zod';
import { ValidationError } from './errors';

export type RequestPart = 'body' | 'query' | 'params' | 'headers';

/** Validates one part of a request; the error lists every problem, each with its path. */
export function parseRequest<Schema extends z.ZodType>(schema: Schema, value: unknown, part: RequestPart): z.infer<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => ({
      path: [part, ...issue.path.map(String)].join('.'),
      message: issue.message,
    })),
  );
}
