import { VigilError } from '@vigil/core';

/**
 * A provider request Vigil will not act on (no or a wrong signature, no account to check it with):
 * 403, naming the header at fault, and nothing changed.
 */
export function providerRefusal(provider: string, header: string, reason: string): VigilError {
  const message = `expected a request signed by ${provider}: ${reason}`;
  return new VigilError('FORBIDDEN', `${header}: ${message}`, [{ path: header, message }]);
}
