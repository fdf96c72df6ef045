// Shared pieces of the wire schemas: name tuples for z.enum, number tables for descriptions, ODCS dates.
import { z } from '@hono/zod-openapi';

/** The keys of a name -> number table, as z.enum wants them. */
export const namesOf = <T extends Record<string, unknown>>(table: T) => Object.keys(table) as [keyof T & string, ...(keyof T & string)[]];

/** `a=1, b=2`: a number table for a description. */
export const numberTable = (t: Record<string, number>) =>
  Object.entries(t)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

/** ODCS dates: UTC, whole seconds. */
const ODCS_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
export const odcsDate = (description: string) =>
  z.string().regex(ODCS_DATE).openapi({ format: 'date-time', description: `${description} (\`YYYY-MM-DDTHH:MM:SSZ\`, UTC)` });
export const nullableDate = (description: string) => odcsDate(description).nullable();
export const nullableString = (description: string) => z.string().nullable().openapi({ description });
export const nullableInt = (description: string) => z.int().nullable().openapi({ description });

export const CHARSET_NOTE =
  'Strings may hold only alphanumerics and the characters ` -/_.:#+?$~^` (items of `packages` are exempt); anything else is a 400.';
