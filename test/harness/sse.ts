// A minimal server-sent events reader for tests: collects events from a URL until told to stop.
export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

export function openEventStream(url: string, headers: Record<string, string> = {}) {
  const events: SseEvent[] = [];
  const controller = new AbortController();
  let notify: (() => void) | null = null;
  const done = (async () => {
    const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
    if (!res.ok || !res.body) throw new Error(`events stream: HTTP ${res.status}`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const e: SseEvent = { data: '' };
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const [field, ...rest] = line.split(':');
          const value = rest.join(':').replace(/^ /, '');
          if (field === 'id') e.id = value;
          else if (field === 'event') e.event = value;
          else if (field === 'data') data.push(value);
        }
        if (!data.length && !e.id) continue;
        e.data = data.join('\n');
        events.push(e);
        (notify as (() => void) | null)?.();
      }
    }
  })().catch((err) => {
    if ((err as Error).name !== 'AbortError') throw err;
  });
  return {
    events,
    /** Waits until `predicate` holds over the events received so far. */
    async until(predicate: (events: SseEvent[]) => boolean, timeoutMs = 60_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(events)) {
        if (Date.now() > deadline) throw new Error(`events: timed out; got ${JSON.stringify(events.map((e) => [e.id, e.event]))}`);
        await new Promise<void>((resolve) => {
          notify = resolve;
          setTimeout(resolve, 200);
        });
      }
    },
    close() {
      controller.abort();
      return done;
    },
  };
}
