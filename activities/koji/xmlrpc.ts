// A small XML-RPC client (and the codec a test server needs), enough for Koji's hub: the standard
// types plus Koji's extensions — <nil/> (allow_none), <i8> (64-bit ints) — and keyword arguments as
// a final struct carrying `__starstar: true`, which is how koji.ClientSession sends **opts.
import { XMLParser } from 'fast-xml-parser';

export type XmlRpcValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Date
  | Uint8Array
  | XmlRpcDouble
  | XmlRpcValue[]
  | { [key: string]: XmlRpcValue };

/** Forces <double> for a number that happens to be whole (2.0 would otherwise go as <int>). */
export class XmlRpcDouble {
  constructor(readonly value: number) {}
}

/** The `faultCode`/`faultString` a server answered with. */
export class XmlRpcFault extends Error {
  constructor(
    readonly faultCode: number,
    readonly faultString: string,
  ) {
    super(faultString);
    this.name = 'XmlRpcFault';
  }
}

/** The call did not get an answer: network error, timeout, HTTP 5xx or 429. Worth retrying. */
export class XmlRpcTransportError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'XmlRpcTransportError';
  }
}

/** The server answered something that is not a usable XML-RPC response (HTTP 4xx, bad XML). */
export class XmlRpcProtocolError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'XmlRpcProtocolError';
  }
}

/** Koji's keyword arguments: pass as the last parameter, e.g. call('listTaggedRPMS', tag, kwargs({ latest: true })). */
export function kwargs(opts: Record<string, XmlRpcValue | undefined>): { [key: string]: XmlRpcValue } {
  const out: { [key: string]: XmlRpcValue } = {};
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) out[k] = v;
  out.__starstar = true;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Encoding

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const I8_MIN = -(2n ** 63n);
const I8_MAX = 2n ** 63n - 1n;

function escapeXml(s: string): string {
  // Characters XML 1.0 cannot carry at all are refused rather than silently dropped.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(s)) {
    throw new TypeError('XML-RPC strings cannot contain control characters other than tab, newline and carriage return');
  }
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

/** Python's xmlrpc.client format: 20240131T23:59:59 (no zone: UTC by our convention). */
function isoBasic(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}T${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

export function encodeValue(v: XmlRpcValue | undefined): string {
  if (v === null || v === undefined) return '<value><nil/></value>';
  switch (typeof v) {
    case 'boolean':
      return `<value><boolean>${v ? 1 : 0}</boolean></value>`;
    case 'string':
      return `<value><string>${escapeXml(v)}</string></value>`;
    case 'bigint':
      if (v < I8_MIN || v > I8_MAX) throw new RangeError(`integer ${v} exceeds XML-RPC limits`);
      return v >= INT32_MIN && v <= INT32_MAX ? `<value><int>${v}</int></value>` : `<value><i8>${v}</i8></value>`;
    case 'number':
      if (Number.isInteger(v)) {
        if (!Number.isSafeInteger(v)) throw new RangeError(`integer ${v} is not exact as a JS number; pass a bigint`);
        return v >= INT32_MIN && v <= INT32_MAX ? `<value><int>${v}</int></value>` : `<value><i8>${v}</i8></value>`;
      }
      if (!Number.isFinite(v)) throw new RangeError(`${v} cannot be sent over XML-RPC`);
      return `<value><double>${v}</double></value>`;
    case 'object':
      break;
    default:
      throw new TypeError(`cannot encode ${typeof v} as XML-RPC`);
  }
  if (v instanceof XmlRpcDouble) {
    if (!Number.isFinite(v.value)) throw new RangeError(`${v.value} cannot be sent over XML-RPC`);
    return `<value><double>${Number.isInteger(v.value) ? v.value.toFixed(1) : v.value}</double></value>`;
  }
  if (v instanceof Date) return `<value><dateTime.iso8601>${isoBasic(v)}</dateTime.iso8601></value>`;
  if (v instanceof Uint8Array) return `<value><base64>${Buffer.from(v).toString('base64')}</base64></value>`;
  if (Array.isArray(v)) return `<value><array><data>${v.map(encodeValue).join('')}</data></array></value>`;
  const members = Object.entries(v).map(([k, x]) => `<member><name>${escapeXml(k)}</name>${encodeValue(x)}</member>`);
  return `<value><struct>${members.join('')}</struct></value>`;
}

const params = (values: readonly XmlRpcValue[]) => `<params>${values.map((p) => `<param>${encodeValue(p)}</param>`).join('')}</params>`;

export function encodeMethodCall(method: string, values: readonly XmlRpcValue[]): string {
  if (!/^[A-Za-z0-9_.:/]+$/.test(method)) throw new TypeError(`invalid XML-RPC method name ${JSON.stringify(method)}`);
  return `<?xml version="1.0"?>\n<methodCall><methodName>${method}</methodName>${params(values)}</methodCall>\n`;
}

export function encodeMethodResponse(value: XmlRpcValue): string {
  return `<?xml version="1.0"?>\n<methodResponse>${params([value])}</methodResponse>\n`;
}

export function encodeFault(faultCode: number, faultString: string): string {
  return `<?xml version="1.0"?>\n<methodResponse><fault>${encodeValue({ faultCode, faultString })}</fault></methodResponse>\n`;
}

// ---------------------------------------------------------------------------------------------
// Decoding. preserveOrder keeps array order and mixed text exact; values stay strings until we
// convert them by their XML-RPC type.

type XNode = Record<string, unknown>;
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: true,
  trimValues: false,
  parseTagValue: false,
  processEntities: true,
  htmlEntities: true,
  cdataPropName: '#cdata',
  ignoreDeclaration: true,
  ignorePiTags: true,
  removeNSPrefix: true, // Apache's <ex:nil/> and <ex:i8>
});

const tagOf = (n: XNode): string | undefined => Object.keys(n).find((k) => k !== ':@');
const childrenOf = (n: XNode): XNode[] => (n[tagOf(n)!] as XNode[]) ?? [];

function textOf(nodes: XNode[]): string {
  let s = '';
  for (const n of nodes) {
    const t = tagOf(n);
    if (t === '#text') s += String(n['#text']);
    else if (t === '#cdata') s += textOf(n['#cdata'] as XNode[]);
  }
  return s;
}

/** Element children, ignoring whitespace between them (text elsewhere is a protocol error). */
function elements(nodes: XNode[], where: string): XNode[] {
  const out: XNode[] = [];
  for (const n of nodes) {
    const t = tagOf(n);
    if (t === '#text') {
      if (String(n['#text']).trim() !== '') throw new XmlRpcProtocolError(`unexpected text in <${where}>`);
    } else if (t && t !== '#comment') out.push(n);
  }
  return out;
}

function only(nodes: XNode[], name: string, where: string): XNode {
  const els = elements(nodes, where);
  if (els.length !== 1 || tagOf(els[0]) !== name) {
    throw new XmlRpcProtocolError(`expected one <${name}> in <${where}>, found ${els.map((e) => `<${tagOf(e)}>`).join(' ') || 'nothing'}`);
  }
  return els[0];
}

function parseInt64(text: string, type: string): number | bigint {
  const t = text.trim();
  if (!/^[+-]?\d+$/.test(t)) throw new XmlRpcProtocolError(`invalid <${type}> ${JSON.stringify(text)}`);
  const big = BigInt(t);
  if (big < I8_MIN || big > I8_MAX) throw new XmlRpcProtocolError(`<${type}> ${t} is out of range`);
  const n = Number(big);
  return Number.isSafeInteger(n) ? n : big;
}

function parseDateTime(text: string): Date {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (!m) throw new XmlRpcProtocolError(`invalid <dateTime.iso8601> ${JSON.stringify(text)}`);
  const zone = m[7] && m[7] !== 'Z' ? m[7].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2') : 'Z';
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${zone}`);
}

function decodeValue(value: XNode): XmlRpcValue {
  const kids = childrenOf(value);
  // <value>text</value> (no type element) is a string.
  if (!kids.some((n) => !['#text', '#cdata', '#comment'].includes(tagOf(n)!))) return textOf(kids);
  const els = elements(kids, 'value');
  if (els.length > 1) throw new XmlRpcProtocolError('more than one type in <value>');
  const el = els[0];
  const type = tagOf(el)!;
  const inner = childrenOf(el);
  switch (type) {
    case 'string':
      return textOf(inner);
    case 'int':
    case 'i4':
    case 'i8':
      return parseInt64(textOf(inner), type);
    case 'boolean': {
      const t = textOf(inner).trim();
      if (t !== '0' && t !== '1') throw new XmlRpcProtocolError(`invalid <boolean> ${JSON.stringify(t)}`);
      return t === '1';
    }
    case 'double': {
      const t = textOf(inner).trim();
      const n = Number(t);
      if (t === '' || Number.isNaN(n)) throw new XmlRpcProtocolError(`invalid <double> ${JSON.stringify(t)}`);
      return n;
    }
    case 'nil':
      return null;
    case 'dateTime.iso8601':
      return parseDateTime(textOf(inner));
    case 'base64':
      return new Uint8Array(Buffer.from(textOf(inner).replace(/\s+/g, ''), 'base64'));
    case 'array': {
      const data = only(inner, 'data', 'array');
      return elements(childrenOf(data), 'data').map((v) => {
        if (tagOf(v) !== 'value') throw new XmlRpcProtocolError(`unexpected <${tagOf(v)}> in <data>`);
        return decodeValue(v);
      });
    }
    case 'struct': {
      const entries: [string, XmlRpcValue][] = [];
      for (const member of elements(inner, 'struct')) {
        if (tagOf(member) !== 'member') throw new XmlRpcProtocolError(`unexpected <${tagOf(member)}> in <struct>`);
        const parts = elements(childrenOf(member), 'member');
        const name = parts.find((p) => tagOf(p) === 'name');
        const val = parts.find((p) => tagOf(p) === 'value');
        if (!name || !val || parts.length !== 2) throw new XmlRpcProtocolError('a <member> needs one <name> and one <value>');
        entries.push([textOf(childrenOf(name)), decodeValue(val)]);
      }
      // fromEntries defines own properties, so a member named __proto__ stays a plain key.
      return Object.fromEntries(entries);
    }
    default:
      throw new XmlRpcProtocolError(`unknown XML-RPC type <${type}>`);
  }
}

function parseDocument(xml: string, root: string): XNode {
  // Like defusedxml on Koji's side: no DTDs, hence no entity expansion tricks.
  if (/<!DOCTYPE/i.test(xml)) throw new XmlRpcProtocolError('XML-RPC documents must not have a DOCTYPE');
  let doc: XNode[];
  try {
    doc = parser.parse(xml) as XNode[];
  } catch (err) {
    throw new XmlRpcProtocolError(`malformed XML: ${(err as Error).message}`);
  }
  return only(doc, root, 'document');
}

function decodeParams(nodes: XNode[]): XmlRpcValue[] {
  return elements(nodes, 'params').map((p) => {
    if (tagOf(p) !== 'param') throw new XmlRpcProtocolError(`unexpected <${tagOf(p)}> in <params>`);
    return decodeValue(only(childrenOf(p), 'value', 'param'));
  });
}

/** The result of a methodResponse; a <fault> is thrown as XmlRpcFault. */
export function decodeMethodResponse(xml: string): XmlRpcValue {
  const body = elements(childrenOf(parseDocument(xml, 'methodResponse')), 'methodResponse');
  if (body.length !== 1) throw new XmlRpcProtocolError('a <methodResponse> needs <params> or <fault>');
  const kind = tagOf(body[0]);
  if (kind === 'fault') {
    const fault = decodeValue(only(childrenOf(body[0]), 'value', 'fault'));
    const f = fault as { faultCode?: unknown; faultString?: unknown } | null;
    if (!f || typeof f !== 'object' || typeof f.faultCode !== 'number' || typeof f.faultString !== 'string') {
      throw new XmlRpcProtocolError('a <fault> needs an int faultCode and a string faultString');
    }
    throw new XmlRpcFault(f.faultCode, f.faultString);
  }
  if (kind !== 'params') throw new XmlRpcProtocolError(`unexpected <${kind}> in <methodResponse>`);
  const values = decodeParams(childrenOf(body[0]));
  if (values.length !== 1) throw new XmlRpcProtocolError(`a response carries one value, got ${values.length}`);
  return values[0];
}

export function decodeMethodCall(xml: string): { method: string; params: XmlRpcValue[] } {
  const parts = elements(childrenOf(parseDocument(xml, 'methodCall')), 'methodCall');
  const name = parts.find((p) => tagOf(p) === 'methodName');
  if (!name) throw new XmlRpcProtocolError('a <methodCall> needs a <methodName>');
  const paramsNode = parts.find((p) => tagOf(p) === 'params');
  return { method: textOf(childrenOf(name)).trim(), params: paramsNode ? decodeParams(childrenOf(paramsNode)) : [] };
}

// ---------------------------------------------------------------------------------------------
// Client

export interface XmlRpcClientOptions {
  /** Per attempt, including reading the body. */
  timeoutMs?: number;
  /** Extra attempts after the first one for transport errors (and retryable faults). */
  retries?: number;
  /** First backoff; doubles on each retry. */
  retryDelayMs?: number;
  /** Fault codes that mean "try again later" (Koji: 1014 ServerOffline). */
  retryableFaults?: readonly number[];
  /** Told about every retry (for logs). */
  onRetry?: (info: { method: string; attempt: number; delayMs: number; error: Error }) => void;
  headers?: Record<string, string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function describeNetworkError(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'timed out';
  const cause = e?.cause?.code ?? e?.cause?.message;
  return cause ? `${e?.message ?? 'network error'} (${cause})` : (e?.message ?? String(err));
}

export class XmlRpcClient {
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly retryableFaults: Set<number>;

  constructor(
    readonly url: string,
    private readonly opts: XmlRpcClientOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.retries = opts.retries ?? 3;
    this.retryDelayMs = opts.retryDelayMs ?? 1000;
    this.retryableFaults = new Set(opts.retryableFaults ?? []);
  }

  /** One call with retries; throws XmlRpcFault, XmlRpcTransportError (after the retries) or XmlRpcProtocolError. */
  async call(method: string, ...values: XmlRpcValue[]): Promise<XmlRpcValue> {
    const body = encodeMethodCall(method, values);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(method, body);
      } catch (err) {
        const retryable = err instanceof XmlRpcTransportError || (err instanceof XmlRpcFault && this.retryableFaults.has(err.faultCode));
        if (!retryable || attempt > this.retries) {
          if (err instanceof XmlRpcTransportError && this.retries > 0) {
            throw new XmlRpcTransportError(`${err.message} (${attempt} attempts)`, err.status);
          }
          throw err;
        }
        const delayMs = this.retryDelayMs * 2 ** (attempt - 1);
        this.opts.onRetry?.({ method, attempt, delayMs, error: err as Error });
        await sleep(delayMs);
      }
    }
  }

  private async once(method: string, body: string): Promise<XmlRpcValue> {
    let text: string;
    let status: number;
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: { 'Content-Type': 'text/xml', Accept: 'text/xml', ...this.opts.headers },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = res.status;
      text = await res.text();
      if (status >= 500 || status === 429 || status === 408) {
        throw new XmlRpcTransportError(`${method}: HTTP ${status} ${res.statusText}`.trim(), status);
      }
      if (status !== 200) throw new XmlRpcProtocolError(`${method}: HTTP ${status} ${res.statusText}`.trim(), status);
    } catch (err) {
      if (err instanceof XmlRpcTransportError || err instanceof XmlRpcProtocolError) throw err;
      throw new XmlRpcTransportError(`${method}: ${describeNetworkError(err)}`);
    }
    try {
      return decodeMethodResponse(text);
    } catch (err) {
      if (err instanceof XmlRpcProtocolError) throw new XmlRpcProtocolError(`${method}: ${err.message}`, status);
      throw err;
    }
  }
}
