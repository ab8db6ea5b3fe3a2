import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * A compact form for JSON that Redis keeps many of (probe targets, checks): a format letter, then the
 * JSON deflated with a preset dictionary of what such values repeat, in base64url. Plain JSON (a
 * value written before the form) reads as itself, so stores can switch to it value by value.
 */
export interface DeflatedJsonForm {
  /** The value's first character: never `{`, and a new one for every new dictionary. */
  letter: string;
  dictionary: Buffer;
}

/**
 * A form from its letter and what its values repeat, the commonest last (deflate reaches back the
 * shortest distance for it). Never change a form's dictionary: values written with it would no longer
 * read; a new dictionary takes a new letter.
 */
export function deflatedJsonForm(letter: string, repeated: readonly string[]): DeflatedJsonForm {
  if (letter.length !== 1 || letter === '{') throw new Error(`a form's letter is one character, not {: ${letter}`);
  return { letter, dictionary: Buffer.from(repeated.join('')) };
}

/** The most a value inflates to: past it, the value is unreadable (never inflated whole). */
const MAX_INFLATED_BYTES = 64 * 1024;

/** The stored value for `json`: the form's letter, then the JSON deflated with its dictionary, in base64url. */
export function encodeDeflatedJson(form: DeflatedJsonForm, json: string): string {
  return `${form.letter}${deflateRawSync(json, { dictionary: form.dictionary }).toString('base64url')}`;
}

/**
 * The JSON of a stored value: plain JSON as itself, the form's own inflated; undefined when the value
 * is neither or does not inflate (corrupt, hostile, or inflating past 64 KiB).
 */
export function decodeDeflatedJson(form: DeflatedJsonForm, value: string): string | undefined {
  if (value.startsWith('{')) return value;
  if (!value.startsWith(form.letter)) return undefined;
  try {
    return inflateRawSync(Buffer.from(value.slice(1), 'base64url'), {
      dictionary: form.dictionary,
      maxOutputLength: MAX_INFLATED_BYTES,
    }).toString();
  } catch {
    return undefined;
  }
}
