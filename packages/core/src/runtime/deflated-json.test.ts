import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodeDeflatedJson,
  deflatedJsonForm,
  encodeDeflatedJson,
  encodeDeflatedJsonText,
  isDeflatedJsonBinary,
} from './deflated-json.js';

const FORM = deflatedJsonForm(0x03, 't', ['{"id":"","kind":"http","http":{"url":"https://']);
const JSON_TEXT = JSON.stringify({ id: 'api', kind: 'http', http: { url: 'https://api.example.com/health' } });

describe('deflated JSON', () => {
  it('writes bytes (the form byte, then raw deflate), and reads them, the base64url form and plain JSON', () => {
    const bytes = encodeDeflatedJson(FORM, JSON_TEXT);
    const text = encodeDeflatedJsonText(FORM, JSON_TEXT);
    expect(bytes[0]).toBe(0x03);
    expect(isDeflatedJsonBinary(FORM, bytes)).toBe(true);
    expect(isDeflatedJsonBinary(FORM, Buffer.from(text))).toBe(false);
    // base64url is 4/3 the bytes: the letter aside, the text is the bytes' base64url.
    expect(text.slice(1)).toBe(bytes.subarray(1).toString('base64url'));
    for (const value of [bytes, text, Buffer.from(text), JSON_TEXT, Buffer.from(JSON_TEXT)])
      expect(decodeDeflatedJson(FORM, value)).toBe(JSON_TEXT);
  });

  it('reads nothing from a corrupt, hostile or foreign value', () => {
    const of = (...parts: Buffer[]) => Buffer.concat([Buffer.of(0x03), ...parts]);
    const values = [
      Buffer.alloc(0),
      of(),
      of(Buffer.from('not deflate')),
      of(deflateRawSync(Buffer.alloc(1 << 20, 'x'))),
      encodeDeflatedJson(FORM, JSON_TEXT).subarray(0, 8),
      Buffer.concat([Buffer.of(0x04), encodeDeflatedJson(FORM, JSON_TEXT).subarray(1)]),
      't!!!',
      'x{}',
    ];
    for (const value of values) expect(decodeDeflatedJson(FORM, value)).toBeUndefined();
  });

  it('takes a byte that never begins base64url text, JSON or JSON whitespace, and a base64url letter', () => {
    expect(() => deflatedJsonForm(0x09, 't', [])).toThrow();
    expect(() => deflatedJsonForm(0x7b, 't', [])).toThrow();
    expect(() => deflatedJsonForm(0x41, 't', [])).toThrow();
    expect(() => deflatedJsonForm(0x01, '{', [])).toThrow();
    expect(() => deflatedJsonForm(0x01, 'tt', [])).toThrow();
  });
});
