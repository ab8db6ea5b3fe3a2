import type { ProbeErrorClass } from '@vigil/core';

/**
 * A failure the probe itself decided on (blocked target, body too large, redirect loop…), thrown to
 * unwind the probe and turned back into data by `settle`; it never leaves the prober.
 */
export class ProbeFailure extends Error {
  readonly errorClass: ProbeErrorClass;

  constructor(errorClass: ProbeErrorClass, message: string) {
    super(message);
    this.name = 'ProbeFailure';
    this.errorClass = errorClass;
  }
}

/** What a failed probe reports: the class a dashboard groups by and a message a person reads. */
export interface ClassifiedError {
  error: ProbeErrorClass;
  message: string;
}

interface CodedError {
  code?: unknown;
  hostname?: unknown;
  address?: unknown;
  port?: unknown;
  message?: unknown;
  name?: unknown;
  cause?: unknown;
  errors?: unknown;
}

const EXACT_CODES: Record<string, ProbeErrorClass> = {
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NODATA: 'dns',
  EAI_NONAME: 'dns',
  ECONNREFUSED: 'connect_refused',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  EHOSTDOWN: 'unreachable',
  ENETDOWN: 'unreachable',
  ECONNRESET: 'reset',
  ECONNABORTED: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  UND_ERR_RES_EXCEEDED_MAX_SIZE: 'body_too_large',
  UND_ERR_INFO: 'protocol',
  UND_ERR_HEADERS_OVERFLOW: 'protocol',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'protocol',
  UND_ERR_NOT_SUPPORTED: 'protocol',
  EPROTO: 'tls',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'tls',
  SELF_SIGNED_CERT_IN_CHAIN: 'tls',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'tls',
  UNABLE_TO_GET_ISSUER_CERT: 'tls',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'tls',
  HOSTNAME_MISMATCH: 'tls',
};

const PREFIX_CODES: [prefix: string, errorClass: ProbeErrorClass][] = [
  ['ERR_TLS_', 'tls'],
  ['ERR_SSL_', 'tls'],
  ['CERT_', 'tls'],
  ['HPE_', 'protocol'],
];

/** Maps an error to a probe error class by its stable `code` only; the message text is never matched. */
export function classifyError(error: unknown): ClassifiedError {
  if (error instanceof ProbeFailure) return { error: error.errorClass, message: error.message };
  const coded = findCodedError(error);
  if (!coded) return { error: 'internal', message: `unexpected failure: ${describe(error)}` };
  const code = String(coded.code);
  const errorClass = classOfCode(code);
  return { error: errorClass, message: messageFor(errorClass, code, coded) };
}

function classOfCode(code: string): ProbeErrorClass {
  const exact = EXACT_CODES[code];
  if (exact) return exact;
  const byPrefix = PREFIX_CODES.find(([prefix]) => code.startsWith(prefix));
  return byPrefix ? byPrefix[1] : 'internal';
}

/** The error carrying a code: the error itself, else its `cause` chain or the first of an AggregateError. */
function findCodedError(error: unknown, depth = 0): CodedError | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  const candidate = error as CodedError;
  if (typeof candidate.code === 'string' && candidate.code !== '') return candidate;
  const nested = Array.isArray(candidate.errors) ? candidate.errors[0] : candidate.cause;
  return findCodedError(nested, depth + 1);
}

function messageFor(errorClass: ProbeErrorClass, code: string, error: CodedError): string {
  const peer = typeof error.address === 'string' ? `${error.address}${port(error)}` : 'the target';
  switch (errorClass) {
    case 'dns':
      return `${typeof error.hostname === 'string' ? error.hostname : 'the name'} did not resolve (${code})`;
    case 'connect_refused':
      return `connection refused by ${peer} (${code})`;
    case 'unreachable':
      return `${peer} is unreachable (${code})`;
    case 'reset':
      return `the connection was closed by the target before the exchange finished (${code})`;
    case 'timeout':
      return `the target did not answer in time (${code})`;
    case 'tls':
      return `TLS failed (${code})`;
    case 'protocol':
      return `the target broke the protocol (${code})`;
    case 'body_too_large':
      return `the response body is larger than allowed (${code})`;
    default:
      return `unexpected failure (${code}): ${describe(error)}`;
  }
}

function port(error: CodedError): string {
  return typeof error.port === 'number' ? `:${error.port}` : '';
}

function describe(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { name, message } = error as CodedError;
    return `${typeof name === 'string' ? name : 'Error'}: ${typeof message === 'string' ? message : ''}`.slice(0, 500);
  }
  return String(error).slice(0, 500);
}
