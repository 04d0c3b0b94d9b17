/** One request per kind of endpoint, as a client at a given address (behind a trusted proxy) sends it. */
import type { Express } from 'express';
import request from 'supertest';

export const EVERY_ENDPOINT: [string, (app: Express, ip: string) => request.Test][] = [
  ['discovery', (app, ip) => request(app).get('/.well-known/openid-configuration').set('x-forwarded-for', ip)],
  ['jwks', (app, ip) => request(app).get('/jwks').set('x-forwarded-for', ip)],
  ['token', (app, ip) => request(app).post('/token').type('form').set('x-forwarded-for', ip).send('grant_type=client_credentials')],
  ['userinfo', (app, ip) => request(app).get('/userinfo').set('x-forwarded-for', ip).set('authorization', 'Bearer abc')],
  ['introspection', (app, ip) => request(app).post('/introspect').type('form').set('x-forwarded-for', ip).send('token=abc')],
  ['revocation', (app, ip) => request(app).post('/revoke').type('form').set('x-forwarded-for', ip).send('token=abc')],
  ['registration', (app, ip) => request(app).post('/register').set('x-forwarded-for', ip).send({ redirect_uris: ['https://a.example/cb'] })],
  ['authorization', (app, ip) => request(app).get('/authorize?client_id=x').set('x-forwarded-for', ip).set('accept', 'application/json')],
  ['end session', (app, ip) => request(app).get('/logout').set('x-forwarded-for', ip).set('accept', 'application/json')],
  ['login page', (app, ip) => request(app).post('/interaction/abc/login').type('form').set('x-forwarded-for', ip).set('accept', 'application/json').send('username=a&password=b')],
  ['account page', (app, ip) => request(app).get('/account/consents').set('x-forwarded-for', ip).set('accept', 'application/json')],
  ['unknown path', (app, ip) => request(app).get('/no-such-page').set('x-forwarded-for', ip)],
  ['stylesheet', (app, ip) => request(app).get('/assets/castellan.css').set('x-forwarded-for', ip)],
];

