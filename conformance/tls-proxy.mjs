#!/usr/bin/env node
/**
 * The TLS front end the conformance suite expects. The suite is deployed behind Apache, which
 * terminates TLS and tells the suite which protocol and cipher the caller negotiated
 * (X-Ssl-Protocol, X-Ssl-Cipher: mod_ssl's SSL_PROTOCOL and SSL_CIPHER, OpenSSL names). Modules that
 * receive calls from the OP (the back-channel logout module) check those headers and end in WARNING
 * without them. This proxy does the same job as the suite's httpd/server.conf, for runs without
 * Apache: HTTPS on LISTEN_PORT, plain HTTP to the suite at UPSTREAM, Host preserved.
 *
 * Environment: TLS_CERT_FILE, TLS_KEY_FILE (PEM), LISTEN_PORT (default 8443), LISTEN_HOST (default
 * 0.0.0.0), UPSTREAM (default http://127.0.0.1:8080).
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:https';

const upstream = new URL(process.env.UPSTREAM ?? 'http://127.0.0.1:8080');
const port = Number(process.env.LISTEN_PORT ?? 8443);
const tls = { cert: readFileSync(process.env.TLS_CERT_FILE), key: readFileSync(process.env.TLS_KEY_FILE) };

const server = createServer(tls, (req, res) => {
  const headers = { ...req.headers };
  // Callers must not set these themselves (Apache's RequestHeader set replaces them too).
  headers['x-ssl-protocol'] = req.socket.getProtocol() ?? '';
  headers['x-ssl-cipher'] = req.socket.getCipher()?.name ?? '';
  headers['x-forwarded-proto'] = 'https';
  headers['x-forwarded-port'] = String(port);
  const forward = request(
    { host: upstream.hostname, port: upstream.port || 80, method: req.method, path: req.url, headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  forward.on('error', (error) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`upstream error: ${error.message}\n`);
  });
  req.pipe(forward);
});

server.listen(port, process.env.LISTEN_HOST ?? '0.0.0.0', () => {
  console.log(`tls-proxy https://:${port} -> ${upstream.origin}`);
});
