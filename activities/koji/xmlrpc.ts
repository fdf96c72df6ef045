// A small XML-RPC client (and the codec a test server needs), enough for Koji's hub: the standard
// types plus Koji's extensions — <nil/> (allow_none), <i8> (64-bit ints) — and keyword arguments as
// a final struct carrying `__starstar: true`, which is how koji.ClientSession sends **opts.
import { SaxesParser } from 'saxes';

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
// Decoding: one pass of a streaming XML parser (saxes, which checks well-formedness, entities and
// character references) that builds the values as the elements close, with a frame per open
// element. A 600 KB multiCall answer of Koji's hub decodes in tens of milliseconds this way, where
// building a document tree first took most of a second.

function parseInt64(text: string, type: string): number | bigint {
  const t = text.trim();
  if (!/^[+-]?\d+$/.test(t)) throw new XmlRpcProtocolError(`invalid <${type}> ${JSON.stringify(text)}`);
  if (t.length < 16) return Number(t); // fewer than 16 digits: exact as a number, within i8
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

/** The value of a scalar type element from its text. */
function scalar(type: string, text: string): XmlRpcValue {
  switch (type) {
    case 'string':
      return text;
    case 'int':
    case 'i4':
    case 'i8':
      return parseInt64(text, type);
    case 'boolean': {
      const t = text.trim();
      if (t !== '0' && t !== '1') throw new XmlRpcProtocolError(`invalid <boolean> ${JSON.stringify(t)}`);
      return t === '1';
    }
    case 'double': {
      const t = text.trim();
      const n = Number(t);
      if (t === '' || Number.isNaN(n)) throw new XmlRpcProtocolError(`invalid <double> ${JSON.stringify(t)}`);
      return n;
    }
    case 'nil':
      return null;
    case 'dateTime.iso8601':
      return parseDateTime(text);
    case 'base64':
      return new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'base64'));
    default:
      throw new XmlRpcProtocolError(`unknown XML-RPC type <${type}>`);
  }
}

const SCALARS = new Set(['string', 'int', 'i4', 'i8', 'boolean', 'double', 'nil', 'dateTime.iso8601', 'base64']);

/** What an open element is, hence which children and text it takes. */
const enum Kind {
  Document, // above the root element
  MethodResponse,
  MethodCall,
  Params,
  Param, // one <value>
  Fault, // one <value>
  Value, // text, or one type element
  Scalar, // text only
  Array, // one <data>
  Data, // <value>s
  Struct, // <member>s
  Member, // one <name> and one <value>
  Text, // <name>, <methodName>: text only
  Skipped, // an element of <methodCall> other than its name and params: anything
}

/** One open element. `items` collects the values of <params>/<data>, `entries` a struct's members. */
class Frame {
  text = '';
  children = 0;
  value: XmlRpcValue | undefined = undefined; // of <value> (its typed child), <member>, <param>, <fault>
  name: string | undefined = undefined; // of <member>
  items: XmlRpcValue[] | undefined = undefined;
  entries: [string, XmlRpcValue][] | undefined = undefined;
  body: string | undefined = undefined; // which child a <methodResponse> had
  constructor(
    readonly kind: Kind,
    readonly tag: string,
  ) {}
}

interface Decoded {
  params?: XmlRpcValue[];
  fault?: XmlRpcValue;
  method?: string;
  root: string;
}

function unexpected(tag: string, where: string): never {
  throw new XmlRpcProtocolError(`unexpected <${tag}> in <${where}>`);
}

/** The frame an element opens under `parent`, or a protocol error where XML-RPC does not allow it. */
function open(parent: Frame, tag: string, root: string): Frame {
  parent.children++;
  switch (parent.kind) {
    case Kind.Document:
      if (tag !== root || parent.children > 1) throw new XmlRpcProtocolError(`expected one <${root}> in <document>, found <${tag}>`);
      return new Frame(root === 'methodCall' ? Kind.MethodCall : Kind.MethodResponse, tag);
    case Kind.MethodResponse:
      if (parent.children > 1) throw new XmlRpcProtocolError('a <methodResponse> needs <params> or <fault>');
      parent.body = tag;
      if (tag === 'params') return new Frame(Kind.Params, tag);
      if (tag === 'fault') return new Frame(Kind.Fault, tag);
      return unexpected(tag, 'methodResponse');
    case Kind.MethodCall:
      if (tag === 'params') return new Frame(Kind.Params, tag);
      if (tag === 'methodName') return new Frame(Kind.Text, tag);
      return new Frame(Kind.Skipped, tag);
    case Kind.Params:
      if (tag !== 'param') unexpected(tag, 'params');
      return new Frame(Kind.Param, tag);
    case Kind.Param:
    case Kind.Fault:
      if (tag !== 'value' || parent.children > 1) throw new XmlRpcProtocolError(`expected one <value> in <${parent.tag}>, found <${tag}>`);
      return new Frame(Kind.Value, tag);
    case Kind.Value:
      if (parent.children > 1) throw new XmlRpcProtocolError('more than one type in <value>');
      if (tag === 'array') return new Frame(Kind.Array, tag);
      if (tag === 'struct') return new Frame(Kind.Struct, tag);
      if (SCALARS.has(tag)) return new Frame(Kind.Scalar, tag);
      throw new XmlRpcProtocolError(`unknown XML-RPC type <${tag}>`);
    case Kind.Array:
      if (tag !== 'data' || parent.children > 1) throw new XmlRpcProtocolError(`expected one <data> in <array>, found <${tag}>`);
      return new Frame(Kind.Data, tag);
    case Kind.Data:
      if (tag !== 'value') unexpected(tag, 'data');
      return new Frame(Kind.Value, tag);
    case Kind.Struct:
      if (tag !== 'member') unexpected(tag, 'struct');
      return new Frame(Kind.Member, tag);
    case Kind.Member:
      if (tag === 'value' && parent.value === undefined) return new Frame(Kind.Value, tag);
      if (tag === 'name' && parent.name === undefined) return new Frame(Kind.Text, tag);
      throw new XmlRpcProtocolError('a <member> needs one <name> and one <value>');
    case Kind.Skipped:
      return new Frame(Kind.Skipped, tag);
    default:
      return unexpected(tag, parent.tag);
  }
}

/** Hands the closed `frame`'s result to its parent. */
function close(frame: Frame, parent: Frame, out: Decoded): void {
  const hasText = frame.text.trim() !== '';
  switch (frame.kind) {
    case Kind.Value: {
      let v: XmlRpcValue;
      if (frame.children === 0) v = frame.text; // <value>text</value> (no type element) is a string
      else if (hasText) throw new XmlRpcProtocolError('unexpected text in <value>');
      else v = frame.value!;
      if (parent.kind === Kind.Data) parent.items!.push(v);
      else parent.value = v; // <param>, <fault>, <member>
      return;
    }
    case Kind.Scalar:
      parent.value = scalar(frame.tag, frame.text);
      return;
    case Kind.Text:
      if (parent.kind === Kind.Member) parent.name = frame.text;
      else out.method = frame.text.trim();
      return;
    case Kind.Skipped:
      return;
  }
  if (hasText) throw new XmlRpcProtocolError(`unexpected text in <${frame.tag}>`);
  switch (frame.kind) {
    case Kind.Data:
      parent.value = frame.items!;
      return;
    case Kind.Array:
      if (frame.children !== 1) throw new XmlRpcProtocolError('expected one <data> in <array>, found nothing');
      parent.value = frame.value!;
      return;
    case Kind.Struct:
      // fromEntries defines own properties, so a member named __proto__ stays a plain key.
      parent.value = Object.fromEntries(frame.entries!);
      return;
    case Kind.Member:
      if (frame.name === undefined || frame.value === undefined) throw new XmlRpcProtocolError('a <member> needs one <name> and one <value>');
      parent.entries!.push([frame.name, frame.value]);
      return;
    case Kind.Param:
      if (frame.value === undefined) throw new XmlRpcProtocolError('expected one <value> in <param>, found nothing');
      parent.items!.push(frame.value);
      return;
    case Kind.Params:
      out.params = frame.items!;
      return;
    case Kind.Fault:
      if (frame.value === undefined) throw new XmlRpcProtocolError('expected one <value> in <fault>, found nothing');
      out.fault = frame.value;
      return;
    case Kind.MethodResponse:
      if (frame.body === undefined) throw new XmlRpcProtocolError('a <methodResponse> needs <params> or <fault>');
      return;
  }
}

function parseDocument(xml: string, root: 'methodResponse' | 'methodCall'): Decoded {
  // Like defusedxml on Koji's side: no DTDs, hence no entity expansion tricks.
  if (/<!DOCTYPE/i.test(xml)) throw new XmlRpcProtocolError('XML-RPC documents must not have a DOCTYPE');
  const out: Decoded = { root };
  const stack: Frame[] = [new Frame(Kind.Document, 'document')];
  const parser = new SaxesParser({ position: false });
  const addText = (t: string) => {
    stack[stack.length - 1].text += t;
  };
  parser.on('doctype', () => {
    throw new XmlRpcProtocolError('XML-RPC documents must not have a DOCTYPE');
  });
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.on('opentag', (node) => {
    const colon = node.name.indexOf(':'); // Apache's <ex:nil/> and <ex:i8>
    const frame = open(stack[stack.length - 1], colon < 0 ? node.name : node.name.slice(colon + 1), root);
    if (frame.kind === Kind.Params || frame.kind === Kind.Data) frame.items = [];
    else if (frame.kind === Kind.Struct) frame.entries = [];
    stack.push(frame);
  });
  parser.on('closetag', () => {
    const frame = stack.pop()!;
    close(frame, stack[stack.length - 1], out);
  });
  try {
    parser.write(xml).close();
  } catch (err) {
    if (err instanceof XmlRpcProtocolError) throw err;
    throw new XmlRpcProtocolError(`malformed XML: ${(err as Error).message}`);
  }
  if (stack[0].children === 0) throw new XmlRpcProtocolError(`expected one <${root}> in <document>, found nothing`);
  return out;
}

/** The result of a methodResponse; a <fault> is thrown as XmlRpcFault. */
export function decodeMethodResponse(xml: string): XmlRpcValue {
  const doc = parseDocument(xml, 'methodResponse');
  if (doc.fault !== undefined) {
    const f = doc.fault as { faultCode?: unknown; faultString?: unknown } | null;
    if (!f || typeof f !== 'object' || typeof f.faultCode !== 'number' || typeof f.faultString !== 'string') {
      throw new XmlRpcProtocolError('a <fault> needs an int faultCode and a string faultString');
    }
    throw new XmlRpcFault(f.faultCode, f.faultString);
  }
  const values = doc.params ?? [];
  if (values.length !== 1) throw new XmlRpcProtocolError(`a response carries one value, got ${values.length}`);
  return values[0];
}

export function decodeMethodCall(xml: string): { method: string; params: XmlRpcValue[] } {
  const doc = parseDocument(xml, 'methodCall');
  if (doc.method === undefined) throw new XmlRpcProtocolError('a <methodCall> needs a <methodName>');
  return { method: doc.method, params: doc.params ?? [] };
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
