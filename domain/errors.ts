/**
 * The one error type the domain throws for bad input. `field` is the path of the offending
 * value (e.g. `spreadPolicy.maxSpreadBps`) so adapters can map it onto an API or Temporal
 * ApplicationFailure without parsing the message.
 */
export class DomainValidationError extends Error {
  readonly field: string;

  constructor(field: string, message: string) {
    // The field is repeated in the message because many callers only ever log `message`.
    super(message.startsWith(field) ? message : `${field}: ${message}`);
    this.name = 'DomainValidationError';
    this.field = field;
  }
}

/** Short, safe rendering of an arbitrary bad value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return value.length > 40 ? `"${value.slice(0, 37)}..."` : JSON.stringify(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
