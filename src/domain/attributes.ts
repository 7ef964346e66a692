import { DomainError } from './errors.js';

// The refusals every request parser of the domain shares (projects, clusters, live migrations):
// an attribute that is wrong, or missing, named in Atlas's words, and the one boolean rule.

export function invalidAttribute(attribute: string, message: string): DomainError {
  return new DomainError('INVALID_ATTRIBUTE', message, [attribute]);
}

export function missingAttribute(attribute: string): DomainError {
  return new DomainError('MISSING_ATTRIBUTE', `${attribute} is required`, [attribute]);
}

/** A boolean attribute; absent (or null) is `fallback`, or missing when there is none. */
export function booleanAttribute(value: unknown, attribute: string, fallback?: boolean): boolean {
  if (value === undefined || value === null) {
    if (fallback === undefined) throw missingAttribute(attribute);
    return fallback;
  }
  if (typeof value !== 'boolean') throw invalidAttribute(attribute, `${attribute} is true or false`);
  return value;
}
