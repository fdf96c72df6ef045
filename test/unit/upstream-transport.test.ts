// The providers' HTTP transport (node:http with kept-alive sockets) does what fetch() did for them:
// follows redirects (a 303 as a GET), decompresses gzip, deflate and br answers, sends the
// caller's headers and body, and honours the abort signal (the client's timeout).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { after, before, test } from 'node:test';
import { nodeTransport, UpstreamClient, UpstreamError } from '../../activities/providers/http.js';

let server: http.Server;
let base: string;
const seen: Array<{ method: string; url: string; body: string; accept: string | undefined }> = [];

before(async () => {
  server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    seen.push({ method: req.method!, url: req.url!, body: Buffer.concat(chunks).toString(), accept: req.headers['accept-encoding'] });
    const json = JSON.stringify({ at: req.url, items: Array.from({ length: 200 }, (_, i) => `item-${i}`) });
    if (req.url === '/moved') return void res.writeHead(301, { Location: '/gz' }).end();
    if (req.url === '/post-then-see') return void res.writeHead(303, { Location: `${base}/br` }).end();
    if (req.url === '/loop') return void res.writeHead(302, { Location: '/loop' }).end();
    if (req.url === '/slow') return void setTimeout(() => res.end('{}'), 2000);
    if (req.url === '/gz') return void res.writeHead(200, { 'Content-Encoding': 'gzip', ETag: '"g"' }).end(zlib.gzipSync(json));
    if (req.url === '/br') return void res.writeHead(200, { 'Content-Encoding': 'br' }).end(zlib.brotliCompressSync(json));
    if (req.url === '/deflate') return void res.writeHead(200, { 'Content-Encoding': 'deflate' }).end(zlib.deflateSync(json));
    res.writeHead(200).end(json);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const get = (path: string, init: Partial<Parameters<typeof nodeTransport>[1]> = {}) =>
  nodeTransport(`${base}${path}`, { method: 'GET', headers: {}, signal: AbortSignal.timeout(5000), ...init });

test('compressed answers are decompressed; headers are readable', async () => {
  for (const path of ['/gz', '/br', '/deflate', '/plain']) {
    const res = await get(path);
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.text).items.length, 200, path);
  }
  assert.equal((await get('/gz')).header('ETag'), '"g"');
  assert.match(seen.at(-1)!.accept ?? '', /gzip/);
});

test('redirects are followed; a 303 after a POST is a GET; a redirect loop ends', async () => {
  assert.equal(JSON.parse((await get('/moved')).text).at, '/gz');
  const n = seen.length;
  const res = await get('/post-then-see', { method: 'POST', body: '<methodCall/>', headers: { 'Content-Type': 'text/xml' } });
  assert.equal(JSON.parse(res.text).at, '/br');
  assert.deepEqual(seen.slice(n).map((s) => [s.method, s.url, s.body]), [['POST', '/post-then-see', '<methodCall/>'], ['GET', '/br', '']]);
  assert.equal((await get('/loop')).status, 302);
});

test('the client times out through the transport and says so', async () => {
  const client = new UpstreamClient({ timeoutMs: 200, attempts: 1, backoffMs: 1, concurrency: 2 });
  await assert.rejects(client.request(`${base}/slow`), (err: unknown) => err instanceof UpstreamError && /no complete answer within 200 ms/.test(err.message));
  const closed = new UpstreamClient({ timeoutMs: 1000, attempts: 1, backoffMs: 1, concurrency: 2 });
  await assert.rejects(closed.request('http://127.0.0.1:1/x'), (err: unknown) => err instanceof UpstreamError && /ECONNREFUSED/.test(err.message));
});
