// The XML-RPC codec (round trips, Koji's extensions, what Python's xmlrpc.client sends) and the
// client's retries, timeouts and faults against a throwaway local HTTP server.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import {
  decodeMethodCall,
  decodeMethodResponse,
  encodeFault,
  encodeMethodCall,
  encodeMethodResponse,
  kwargs,
  XmlRpcClient,
  XmlRpcDouble,
  XmlRpcFault,
  XmlRpcProtocolError,
  XmlRpcTransportError,
  type XmlRpcValue,
} from '../../activities/koji/xmlrpc.js';

const roundTrip = (v: XmlRpcValue) => decodeMethodResponse(encodeMethodResponse(v));

describe('XML-RPC encoding and decoding', () => {
  it('round-trips scalars, including nil, i8 and awkward strings', () => {
    for (const v of [null, true, false, 0, -7, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 40), Number.MAX_SAFE_INTEGER, 2.5, -0.125, '', '  spaced  ', 'a & b < c > d "q" \'s\'', 'tab\tnew\nline\rcr', 'ünïcødé ✓ 😀', '&amp; &lt; stays literal']) {
      assert.deepEqual(roundTrip(v), v, JSON.stringify(v));
    }
  });

  it('chooses <int>, <i8>, <double> and <nil/> as Koji expects', () => {
    const xml = encodeMethodCall('m', [1, 2 ** 31, 1.5, new XmlRpcDouble(2), null, 9007199254740993n]);
    assert.match(xml, /<value><int>1<\/int><\/value>/);
    assert.match(xml, /<value><i8>2147483648<\/i8><\/value>/);
    assert.match(xml, /<value><double>1\.5<\/double><\/value>/);
    assert.match(xml, /<value><double>2\.0<\/double><\/value>/);
    assert.match(xml, /<value><nil\/><\/value>/);
    assert.match(xml, /<value><i8>9007199254740993<\/i8><\/value>/);
    assert.deepEqual(decodeMethodCall(xml).params, [1, 2 ** 31, 1.5, 2, null, 9007199254740993n], 'an i8 beyond 2^53 stays exact as a bigint');
    assert.throws(() => encodeMethodCall('m', [2 ** 64]), RangeError);
    assert.throws(() => encodeMethodCall('m', [2n ** 63n]), RangeError);
    assert.throws(() => encodeMethodCall('m', [NaN]), RangeError);
  });

  it('round-trips nested structs and arrays, dates and base64', () => {
    const v: XmlRpcValue = {
      rpms: [{ id: 1, name: 'bash', epoch: null, size: 2 ** 33, tags: ['a', 'b'], extra: {} }, []],
      builds: [{ nvr: 'bash-5.2-1.fc40', nested: { deeper: { deepest: [[1], [2, [3]]] } } }],
      when: new Date(Date.UTC(2024, 0, 31, 23, 59, 59)),
      blob: new Uint8Array([0, 1, 2, 254, 255]),
      ...(JSON.parse('{"__proto__": "just a key"}') as object),
    };
    assert.equal(Object.hasOwn(v, '__proto__'), true);
    const back = roundTrip(v) as Record<string, XmlRpcValue>;
    assert.deepEqual(back, v);
    assert.equal(Object.getPrototypeOf(back), Object.prototype, 'a member named __proto__ does not change the prototype');
    assert.equal(Object.hasOwn(back, '__proto__'), true);
  });

  it('encodes Koji keyword arguments as a final struct with __starstar', () => {
    const xml = encodeMethodCall('listTaggedRPMS', ['f40', kwargs({ event: 123, inherit: true, latest: true, arch: undefined })]);
    assert.deepEqual(decodeMethodCall(xml), {
      method: 'listTaggedRPMS',
      params: ['f40', { event: 123, inherit: true, latest: true, __starstar: true }],
    });
  });

  it('reads what Python xmlrpc.client and Koji write: untyped strings, whitespace, i4, ex:nil, CDATA, char refs', () => {
    const xml = `<?xml version='1.0'?>
<methodResponse>
<params>
<param>
<value><array><data>
<value>untyped string</value>
<value><i4>42</i4></value>
<value><ex:nil xmlns:ex="http://ws.apache.org/xmlrpc/namespaces/extensions"/></value>
<value><string><![CDATA[<cdata & raw>]]></string></value>
<value><string>&#65;&#x42;&#13;</string></value>
<value><boolean>1</boolean></value>
<value><double>1e3</double></value>
<value><dateTime.iso8601>2024-01-31T23:59:59Z</dateTime.iso8601></value>
<value><base64>
AAEC
</base64></value>
<value></value>
<value><string/></value>
<value><struct>
  <member>
    <name>id</name>
    <value><int> 7 </int></value>
  </member>
</struct></value>
</data></array></value>
</param>
</params>
</methodResponse>
`;
    assert.deepEqual(decodeMethodResponse(xml), [
      'untyped string',
      42,
      null,
      '<cdata & raw>',
      'AB\r',
      true,
      1000,
      new Date(Date.UTC(2024, 0, 31, 23, 59, 59)),
      new Uint8Array([0, 1, 2]),
      '',
      '',
      { id: 7 },
    ]);
  });

  it('turns a <fault> into an XmlRpcFault with code and string', () => {
    assert.throws(
      () => decodeMethodResponse(encodeFault(1000, "No such tagInfo: 'f99'")),
      (err: unknown) => err instanceof XmlRpcFault && err.faultCode === 1000 && err.faultString === "No such tagInfo: 'f99'" && err.message === "No such tagInfo: 'f99'",
    );
    // As Python writes it (members in any order, int code).
    const py = `<?xml version='1.0'?><methodResponse><fault><value><struct><member><name>faultString</name><value><string>server is offline</string></value></member><member><name>faultCode</name><value><int>1014</int></value></member></struct></value></fault></methodResponse>`;
    assert.throws(() => decodeMethodResponse(py), (err: unknown) => err instanceof XmlRpcFault && err.faultCode === 1014);
  });

  it('refuses malformed documents, unknown types and DTDs', () => {
    for (const bad of [
      'not xml at all <',
      '<methodResponse></methodResponse>',
      '<methodResponse><params><param><value><weird>1</weird></value></param></params></methodResponse>',
      '<methodResponse><params><param><value><int>1.5</int></value></param></params></methodResponse>',
      '<methodResponse><params><param><value><boolean>yes</boolean></value></param></params></methodResponse>',
      '<methodResponse><params><param><value><i8>99999999999999999999</i8></value></param></params></methodResponse>',
      '<!DOCTYPE x [<!ENTITY a "aaaa">]><methodResponse><params><param><value>&a;</value></param></params></methodResponse>',
      '<methodResponse><fault><value><string>no struct</string></value></fault></methodResponse>',
    ]) {
      assert.throws(() => decodeMethodResponse(bad), XmlRpcProtocolError, bad);
    }
    // What the streaming decoder sees element by element: structure XML-RPC does not allow, and XML
    // that is not well-formed.
    const wrap = (v: string) => `<methodResponse><params><param><value>${v}</value></param></params></methodResponse>`;
    for (const bad of [
      wrap('<array></array>'),
      wrap('<array><data/><data/></array>'),
      wrap('<array><data><int>1</int></data></array>'),
      wrap('<struct><member><name>a</name></member></struct>'),
      wrap('<struct><member><value>1</value></member></struct>'),
      wrap('<struct><member><name>a</name><value>1</value><value>2</value></member></struct>'),
      wrap('<struct>stray<member><name>a</name><value>1</value></member></struct>'),
      wrap('<string>a<b/>c</string>'),
      wrap('text<int>1</int>'),
      wrap('<int>1</int><int>2</int>'),
      wrap('<string>&nosuchentity;</string>'),
      wrap('<string>unclosed'),
      '<methodResponse><params><param></param></params></methodResponse>',
      '<methodResponse><params><param><value>1</value></param><param><value>2</value></param></params></methodResponse>',
      '<methodResponse><params></params><params></params></methodResponse>',
      '<methodCall><methodName>m</methodName></methodCall>',
      `${wrap('1')}<methodResponse/>`,
      '',
    ]) {
      assert.throws(() => decodeMethodResponse(bad), XmlRpcProtocolError, bad);
    }
    assert.throws(() => decodeMethodCall('<methodCall><params/></methodCall>'), XmlRpcProtocolError, 'no methodName');
    assert.throws(() => encodeMethodCall('bad name', []), TypeError);
    assert.throws(() => encodeMethodCall('m', ['bell \u0007']), TypeError);
  });
});

describe('XmlRpcClient', () => {
  type Reply = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;
  let replies: Reply[] = [];
  let seen: string[] = [];
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    seen.push(body);
    const reply = replies.shift() ?? ((_q, r) => r.writeHead(500).end('no reply scripted'));
    reply(req, res, body);
  });
  const ready = new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/kojihub`)));
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const ok = (v: XmlRpcValue): Reply => (_q, r) => r.writeHead(200, { 'Content-Type': 'text/xml' }).end(encodeMethodResponse(v));
  const script = (...r: Reply[]) => {
    replies = r;
    seen = [];
  };

  it('sends a methodCall and decodes the answer', async () => {
    const client = new XmlRpcClient(await ready, { retries: 0 });
    script((req, res, body) => {
      assert.equal(req.method, 'POST');
      assert.match(String(req.headers['content-type']), /text\/xml/);
      const call = decodeMethodCall(body);
      assert.equal(call.method, 'getTag');
      res.writeHead(200).end(encodeMethodResponse({ id: 1, name: String(call.params[0]), arches: null }));
    });
    assert.deepEqual(await client.call('getTag', 'f40'), { id: 1, name: 'f40', arches: null });
  });

  it('retries 5xx and dropped connections with backoff, then succeeds', async () => {
    const retries: number[] = [];
    const client = new XmlRpcClient(await ready, { retries: 3, retryDelayMs: 20, onRetry: (i) => retries.push(i.delayMs) });
    script((_q, r) => r.writeHead(503).end('down'), (q) => q.socket.destroy(), (_q, r) => r.writeHead(502).end('bad gateway'), ok({ id: 9, ts: 1.5 }));
    assert.deepEqual(await client.call('getLastEvent'), { id: 9, ts: 1.5 });
    assert.equal(seen.length, 4);
    assert.deepEqual(retries, [20, 40, 80], 'the delay doubles');
  });

  it('gives up after the retries with a transport error naming the method', async () => {
    const client = new XmlRpcClient(await ready, { retries: 1, retryDelayMs: 1 });
    script((_q, r) => r.writeHead(503, 'Service Unavailable').end(), (_q, r) => r.writeHead(503, 'Service Unavailable').end());
    await assert.rejects(client.call('getLastEvent'), (err: unknown) => {
      assert.ok(err instanceof XmlRpcTransportError);
      assert.equal(err.status, 503);
      assert.match(err.message, /^getLastEvent: HTTP 503 Service Unavailable \(2 attempts\)$/);
      return true;
    });
  });

  it('does not retry a fault or a 4xx, but retries the faults it is told to', async () => {
    const client = new XmlRpcClient(await ready, { retries: 3, retryDelayMs: 1, retryableFaults: [1014] });
    script((_q, r) => r.writeHead(200).end(encodeFault(1000, 'boom')));
    await assert.rejects(client.call('getTag', 'x'), (err: unknown) => err instanceof XmlRpcFault && err.faultString === 'boom');
    assert.equal(seen.length, 1);
    script((_q, r) => r.writeHead(404, 'Not Found').end('no hub here'));
    await assert.rejects(client.call('getTag', 'x'), (err: unknown) => err instanceof XmlRpcProtocolError && err.status === 404);
    assert.equal(seen.length, 1);
    script((_q, r) => r.writeHead(200).end(encodeFault(1014, 'server is offline')), ok(true));
    assert.equal(await client.call('tagChangedSinceEvent', 1, [1]), true);
    assert.equal(seen.length, 2);
  });

  it('times out a hub that does not answer', async () => {
    const client = new XmlRpcClient(await ready, { retries: 1, retryDelayMs: 1, timeoutMs: 150 });
    const hang: Reply = () => {}; // never answers
    script(hang, hang);
    await assert.rejects(client.call('listTaggedRPMS', 'f40'), (err: unknown) => err instanceof XmlRpcTransportError && /listTaggedRPMS: timed out \(2 attempts\)/.test(err.message));
    assert.equal(seen.length, 2, 'each attempt was abandoned by the timeout and retried once');
  });

  it('reports a refused connection as a transport error', async () => {
    const closed = http.createServer();
    const port = await new Promise<number>((resolve) => closed.listen(0, '127.0.0.1', () => resolve((closed.address() as AddressInfo).port)));
    await new Promise((resolve) => closed.close(resolve));
    const client = new XmlRpcClient(`http://127.0.0.1:${port}/kojihub`, { retries: 0 });
    await assert.rejects(client.call('getLastEvent'), (err: unknown) => err instanceof XmlRpcTransportError && /ECONNREFUSED/.test(err.message));
  });
});
