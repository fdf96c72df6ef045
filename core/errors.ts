// The one error system of the API: errors that carry their HTTP status, ODCS's error body
// {"status":N,"error":"<Reason>","message":"..."} (spec Part B §1), and the Python-style
// rendering that reproduces ODCS's messages.

/** Reason phrases of the statuses the API answers with (the `error` of the body). */
const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const reasonPhrase = (status: number): string => REASONS[status] ?? 'Error';

export interface ErrorBody {
  status: number;
  error: string;
  message: string;
}

/** ODCS's error body for a status and message. */
export function errorBody(status: number, message: string): ErrorBody {
  return { status, error: reasonPhrase(status), message };
}

/** An error that leaves the API as `status` with ODCS's body (api/errors.ts maps it). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  get reason(): string {
    return reasonPhrase(this.status);
  }
}

/** Python's ValueError: ODCS maps any ValueError to 400 "Bad Request" with str(e) as message. */
export class ValueError extends HttpError {
  constructor(message: string) {
    super(400, message);
  }
}

export class BadRequestError extends HttpError {
  constructor(message: string) {
    super(400, message);
  }
}

export class UnauthorizedError extends HttpError {
  constructor(message: string) {
    super(401, message);
  }
}

export class ForbiddenError extends HttpError {
  constructor(message: string) {
    super(403, message);
  }
}

export class NotFoundError extends HttpError {
  constructor(message: string) {
    super(404, message);
  }
}

export class ConflictError extends HttpError {
  constructor(message: string) {
    super(409, message);
  }
}

/** A dependency (PostgreSQL, Temporal, an OIDC provider) cannot be reached: try again later. */
export class ServiceUnavailableError extends HttpError {
  constructor(message: string) {
    super(503, message);
  }
}

/**
 * Python's repr() of the value json.loads would have produced: dicts `{'a': 1}`, lists `['x']`,
 * True/False/None, single-quoted strings. ODCS interpolates such values into several messages.
 */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return pyNumber(value);
  if (typeof value === 'string') return pyStringRepr(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    const items = Object.entries(value as Record<string, unknown>).map(
      ([k, v]) => `${pyStringRepr(k)}: ${pyRepr(v)}`,
    );
    return `{${items.join(', ')}}`;
  }
  return pyStringRepr(String(value));
}

/** Python's str(): strings as they are, everything else as repr. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

function pyNumber(n: number): string {
  if (Number.isInteger(n)) {
    // JSON integers decode to Python ints, which never use exponent notation.
    return Math.abs(n) < 1e21 ? String(n) : BigInt(n).toString();
  }
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  return String(n);
}

function pyStringRepr(s: string): string {
  // Python prefers single quotes and switches to double quotes only to avoid escaping a '.
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || (code >= 0x7f && code < 0xa0)) out += '\\x' + code.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}
