// The CLI's view of the HTTP API: server URL and token from flags or the environment, and every
// error turned into one line from the server's {"status","error","message"} body.
import fs from 'node:fs';

export interface ApiOptions {
  server?: string;
  token?: string;
  tokenFile?: string;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function apiClient(opts: ApiOptions) {
  const server = (opts.server ?? process.env.ODCS_FLOW_SERVER ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const tokenFile = opts.tokenFile ?? process.env.ODCS_FLOW_TOKEN_FILE;
  const token = opts.token ?? process.env.ODCS_FLOW_TOKEN ?? (tokenFile ? fs.readFileSync(tokenFile, 'utf8').trim() : undefined);
  const headers = (extra: Record<string, string> = {}) => ({
    ...(token ? { Authorization: `Bearer ${token}` } : {}),
    ...extra,
  });

  async function request(method: string, path: string, body?: unknown): Promise<any> {
    let res: Response;
    try {
      res = await fetch(`${server}${path}`, {
        method,
        headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new CliError(`cannot reach ${server}: ${(err as Error).cause ? String((err as { cause: Error }).cause.message) : (err as Error).message}`);
    }
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!res.ok) {
      const message = json?.message ?? (text.trim() || res.statusText);
      throw new CliError(`${res.status} ${json?.error ?? res.statusText}: ${message}`);
    }
    return json;
  }

  return {
    server,
    get: (path: string) => request('GET', path),
    post: (path: string, body: unknown) => request('POST', path, body),
    patch: (path: string, body?: unknown) => request('PATCH', path, body),
    delete: (path: string) => request('DELETE', path),
    /** Opens the events stream; the caller reads the body. */
    async stream(path: string, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
      let res: Response;
      try {
        res = await fetch(`${server}${path}`, { headers: headers({ Accept: 'text/event-stream' }), signal });
      } catch (err) {
        throw new CliError(`cannot reach ${server}: ${(err as Error).message}`);
      }
      if (!res.ok || !res.body) throw new CliError(`${res.status}: cannot open the events stream`);
      return res.body;
    },
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

/** Server-sent events from a byte stream, one parsed event at a time. */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<{ id?: string; event?: string; data: string }> {
  const reader = body.pipeThrough(new TextDecoderStream() as unknown as ReadableWritablePair<string, Uint8Array>).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const e: { id?: string; event?: string; data: string } = { data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const i = line.indexOf(':');
        const field = i < 0 ? line : line.slice(0, i);
        const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
        if (field === 'id') e.id = value;
        else if (field === 'event') e.event = value;
        else if (field === 'data') data.push(value);
      }
      e.data = data.join('\n');
      if (e.event || e.data) yield e;
    }
  }
}
