/**
 * The form body parser reads application/x-www-form-urlencoded bodies only: the media type in any
 * case, with parameters; anything else is left unread (the endpoint then says what it expects).
 * @spec https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 * @spec https://www.rfc-editor.org/rfc/rfc9110#section-8.3.1 (media types are case-insensitive)
 */
import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { isFormRequest, parseUrlEncoded } from '../../src/http/params.js';

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
});
