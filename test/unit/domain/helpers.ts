import { DomainValidationError } from '../../../domain';
import { expect } from 'vitest';

/** Asserts fn throws a DomainValidationError for `field` whose message names the field. */
export function expectFieldError(
  fn: () => unknown,
  field: string,
  messagePart?: string | RegExp,
): DomainValidationError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a DomainValidationError for ${field}`).toBeInstanceOf(DomainValidationError);
  const err = caught as DomainValidationError;
  expect(err.field).toBe(field);
  expect(err.message).toContain(field);
  if (messagePart !== undefined) {
    if (typeof messagePart === 'string') expect(err.message).toContain(messagePart);
    else expect(err.message).toMatch(messagePart);
  }
  return err;
}
