import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * A compact form for JSON that Redis keeps many of (probe targets, checks): a format byte, then the
 * JSON deflated with a preset dictionary of what such values repeat, as raw bytes (read back as
 * Buffers: ioredis's `*Buffer` commands). Two forms written before still read, so a store switches
 * value by value: plain JSON (`{`), and the form's letter, then the deflated bytes in base64url (4/3
 * the bytes: ~30 B more a target, a check).
 */
export interface DeflatedJsonForm {
  /** The first byte of a value written now: a control byte, never base64url text nor `{`. */
  byte: number;
  /** The first character of a value in base64url, the form before: read, no longer written. */
  letter: string;
  dictionary: Buffer;
}

/**
 * A form from its byte, its letter and what its values repeat, the commonest last (deflate reaches
 * back the shortest distance for it). Never change a form's dictionary: values written with it would
 * no longer read; a new dictionary takes a new byte (and letter).
 */
export function deflatedJsonForm(byte: number, letter: string, repeated: readonly string[]): DeflatedJsonForm {
  // Below tab: not JSON whitespace, not base64url (A–Z a–z 0–9 - _), not `{`, so the first byte tells the form.
  if (!Number.isInteger(byte) || byte < 0 || byte > 8) throw new Error(`a form's byte is 0–8, not ${byte}`);
  if (!/^[A-Za-z0-9_-]$/.test(letter) || letter === '{')
    throw new Error(`a form's letter is one base64url character: ${letter}`);
  return { byte, letter, dictionary: Buffer.from(repeated.join('')) };
}

/** The most a value inflates to: past it, the value is unreadable (never inflated whole). */
const MAX_INFLATED_BYTES = 64 * 1024;

/** The stored value for `json`: the form's byte, then the JSON deflated with its dictionary. */
export function encodeDeflatedJson(form: DeflatedJsonForm, json: string): Buffer {
  const deflated = deflateRawSync(json, { dictionary: form.dictionary });
  const value = Buffer.allocUnsafe(deflated.length + 1);
  value[0] = form.byte;
  deflated.copy(value, 1);
  return value;
}

/**
 * The value the release before wrote for `json` (the form's letter, then base64url): no longer
 * written, but read; for tests and benches that play an older writer.
 */
export function encodeDeflatedJsonText(form: DeflatedJsonForm, json: string): string {
  return `${form.letter}${deflateRawSync(json, { dictionary: form.dictionary }).toString('base64url')}`;
}

/** Whether a stored value is in the form written now (any other is rewritten at its next write). */
export function isDeflatedJsonBinary(form: DeflatedJsonForm, value: Buffer | string): boolean {
  return typeof value === 'string' ? value.charCodeAt(0) === form.byte : value[0] === form.byte;
}

const OPEN_BRACE = 0x7b;

/**
 * The JSON of a stored value, in any of the three forms: plain JSON as itself, the bytes or base64url
 * inflated; undefined when the value is none of them or does not inflate (corrupt, hostile, or
 * inflating past 64 KiB). Read the value as a Buffer: a string is taken as UTF-8, which a binary
 * value does not survive.
 */
export function decodeDeflatedJson(form: DeflatedJsonForm, value: Buffer | string): string | undefined {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  const first = bytes[0];
  if (first === OPEN_BRACE) return typeof value === 'string' ? value : bytes.toString();
  let deflated: Buffer;
  if (first === form.byte) deflated = bytes.subarray(1);
  else if (first === form.letter.charCodeAt(0)) deflated = Buffer.from(bytes.toString('latin1', 1), 'base64url');
  else return undefined;
  try {
    return inflateRawSync(deflated, { dictionary: form.dictionary, maxOutputLength: MAX_INFLATED_BYTES }).toString();
  } catch {
    return undefined;
  }
}
