// Collects server-sent events from a URL in the background, for tests (parsing: cli/api-client).
import { readEvents } from '../../cli/api-client.js';

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

export function openEventStream(url: string, headers: Record<string, string> = {}) {
  const events: SseEvent[] = [];
  const controller = new AbortController();
  const done = (async () => {
    const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
    if (!res.ok || !res.body) throw new Error(`events stream: HTTP ${res.status}`);
    for await (const e of readEvents(res.body)) events.push(e);
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
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    close() {
      controller.abort();
      return done;
    },
  };
}
