/**
 * The form body parser reads application/x-www-form-urlencoded bodies only: the media type in any
 * case, with parameters; anything else is left unread (the endpoint then says what it expects).
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 * @spec https://www.rfc-editor.org/rfc/rfc9110#section-8.3.1 (media types are case-insensitive)
 */
import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { formParams, isFormRequest, parsedFormBody, parseUrlEncoded } from '../../src/http/params.js';

const withType = (type?: string) => ({ headers: type === undefined ? {} : { 'content-type': type } }) as Request;

describe('form requests', () => {
  it('recognises the form media type in any case, with or without parameters', () => {
    for (const type of ['application/x-www-form-urlencoded', 'Application/X-WWW-Form-URLEncoded', 'application/x-www-form-urlencoded; charset=UTF-8', 'application/x-www-form-urlencoded;charset=utf-8', 'application/x-www-form-urlencoded ;charset=utf-8']) {
      expect(isFormRequest(withType(type)), type).toBe(true);
    }
  });

  it('refuses every other type, a prefix or suffix of it, and a missing header', () => {
    for (const type of [undefined, '', 'application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencodedx', 'xapplication/x-www-form-urlencoded', 'application/x-www-form']) {
      expect(isFormRequest(withType(type)), String(type)).toBe(false);
    }
  });

  it('parses repeated names into arrays and drops empty values', () => {
    expect(parseUrlEncoded('a=1&b=&c=2&c=3&d=%20x')).toEqual({ a: '1', c: ['2', '3'], d: ' x' });
  });

  it('parses a request\'s form once: the rate-limit key and the endpoint read the same parsed object', () => {
    const req = { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from('client_id=c1&grant_type=client_credentials') } as unknown as Request;
    const first = parsedFormBody(req);
    expect(first).toEqual({ client_id: 'c1', grant_type: 'client_credentials' });
    expect(parsedFormBody(req)).toBe(first);
    expect(formParams(req)).toBe(first);
    // Another request with the same bytes gets its own parse.
    const other = { headers: req.headers, body: Buffer.from('client_id=c1&grant_type=client_credentials') } as unknown as Request;
    expect(parsedFormBody(other)).not.toBe(first);
  });

  it('has no parsed form for other media types or an unread body, and formParams refuses other types', () => {
    expect(parsedFormBody({ headers: { 'content-type': 'application/json' }, body: Buffer.from('{}') } as unknown as Request)).toBeUndefined();
    expect(parsedFormBody({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: {} } as unknown as Request)).toBeUndefined();
    expect(formParams({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: {} } as unknown as Request)).toEqual({});
    expect(() => formParams({ headers: { 'content-type': 'application/json' }, body: Buffer.from('{}') } as unknown as Request)).toThrow(/Content-Type must be application\/x-www-form-urlencoded/);
  });
});
