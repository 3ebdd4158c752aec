import { DomainValidationError, describeValue } from './errors';

/*
 * Text that crosses a boundary. Postgres cannot store a NUL character (in `text` or in `jsonb`) nor
 * half of a UTF-16 surrogate pair (`jsonb` refuses it, `text` silently turns it into U+FFFD): such
 * a value must be refused here, naming its field, and never reach the database as a raw encoding
 * error. Free text (reasons) is bounded and single-line; names and ids have a strict alphabet.
 */

/** The longest reason a pause, stop, cancel or other command may carry. */
export const MAX_REASON_LENGTH = 200;

/** Names of assets and price feeds: what an operator types and a dashboard shows. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:/@-]{0,63}$/;

/** C0 controls (NUL, tab, newline...), DEL and C1 controls. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** A high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why Postgres could not store this string, or undefined when it can. */
function unstorable(s: string): string | undefined {
  if (s.includes('\u0000')) return 'contains a NUL character (\\u0000)';
  if (LONE_SURROGATE.test(s)) return 'contains half of a UTF-16 surrogate pair (not valid Unicode)';
  return undefined;
}

const MAX_DEPTH = 32;

/**
 * Refuses a value that holds, anywhere inside it (object keys included), a string Postgres cannot
 * store. The error names the path of the first one under `field`, e.g. `input.event.reason` (with
 * `field` empty: `event.reason`); a bad key is named as `event["re\u0000ason"]`.
 */
export function checkStorable(value: unknown, field: string): void {
  const found = findUnstorable(value, field, 0);
  if (found && !found.path) found.path = 'value';
  if (found) throw new DomainValidationError(found.path, `${found.path} ${found.why}; remove it and retry`);
}

function findUnstorable(
  value: unknown,
  path: string,
  depth: number,
): { path: string; why: string } | undefined {
  if (typeof value === 'string') {
    const why = unstorable(value);
    return why ? { path, why } : undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth >= MAX_DEPTH) return { path, why: `is nested more than ${MAX_DEPTH} levels deep` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorable(value[i], `${path}[${i}]`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, v] of Object.entries(value)) {
    const keyWhy = unstorable(key);
    if (keyWhy) return { path: `${path}[${JSON.stringify(key)}]`, why: `has a key that ${keyWhy}` };
    const found = findUnstorable(v, path ? `${path}.${key}` : key, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * A reason given by an operator or a caller: a non-blank, single-line string of at most
 * MAX_REASON_LENGTH characters without control characters.
 */
export function parseReason(value: unknown, field = 'reason'): string {
  const expected = `a single-line text of 1 to ${MAX_REASON_LENGTH} characters without control characters`;
  if (typeof value !== 'string') {
    throw new DomainValidationError(field, `${field} must be ${expected}, got ${describeValue(value)}`);
  }
  if (value.trim().length === 0) {
    throw new DomainValidationError(field, `${field} must be ${expected}, got a blank string`);
  }
  if (value.length > MAX_REASON_LENGTH) {
    throw new DomainValidationError(field, `${field} must be ${expected}, got ${value.length} characters`);
  }
  const bad = unstorable(value) ?? (CONTROL.test(value) ? 'contains a control character' : undefined);
  if (bad) throw new DomainValidationError(field, `${field} ${bad}; expected ${expected}`);
  return value;
}

/** A name such as an asset symbol or a price feed: 1-64 letters, digits and _ . : / @ -. */
export function parseName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new DomainValidationError(
      field,
      `${field} must be 1-64 letters, digits and _ . : / @ - starting with a letter or digit, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Also the pools table's check constraint. */
export const POOL_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A pool id: 1-64 letters, digits and _ . - starting with a letter or digit (also checked by the schema). */
export function parsePoolId(value: unknown, field = 'poolId'): string {
  if (typeof value !== 'string' || !POOL_ID.test(value)) {
    throw new DomainValidationError(
      field,
      `${field} must be 1-64 letters, digits, _ . - starting with a letter or digit, got ${describeValue(value)}`,
    );
  }
  return value;
}

const IDENTIFIER = /^[A-Za-z0-9_.:/@-]+$/;

/** An id chosen by a caller or issued by the system (order ids, client order ids, owners). */
export function parseIdentifier(value: unknown, field: string, maxLength = 128): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > maxLength ||
    !IDENTIFIER.test(value)
  ) {
    throw new DomainValidationError(
      field,
      `${field} must be 1-${maxLength} letters, digits and _ . : / @ -, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Refuses fields an input does not define: a misspelt optional field must not be silently ignored. */
export function refuseUnknownFields(
  input: Record<string, unknown>,
  known: readonly string[],
  what: string,
): void {
  for (const key of Object.keys(input)) {
    if (!known.includes(key)) {
      throw new DomainValidationError(
        key,
        `${JSON.stringify(key)} is not a field of ${what}; known fields: ${known.join(', ')}`,
      );
    }
  }
}
