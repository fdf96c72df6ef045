// The compose workflow against the real Temporal server with its own activities replaced: an expiry
// signal that lands while the generation activity is finishing (the row already done, an admin's
// DELETE committed) must not be overwritten by the generation's outcome.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { COMPOSE_STATES } from '../../core/compose.js';
import { composeWorkflow } from '../../workflows/compose.js';
import { expiryChangedSignal, statusQuery } from '../../workflows/messages.js';
import { requireEnv, workflowBundle } from '../harness/stack.js';

const address = requireEnv('ODCS_TEST_TEMPORAL_ADDRESS');
let connection: Connection;
let client: Client;

before(async () => {
  connection = await Connection.connect({ address });
  client = new Client({ connection });
});
after(async () => {
  await connection.close();
});

test('an expiry signal received during generation wins over the later, longer outcome', async () => {
  const taskQueue = `expiry-race-${randomUUID()}`;
  const hourLater = () => new Date(Date.now() + 3_600_000).toISOString();
  let generating!: () => void;
  const started = new Promise<void>((resolve) => (generating = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const expireCalls: number[] = [];
  const activities = {
    async prepareComposeLocally() {
      return { kind: 'generate', plan: {}, roomChecked: true };
    },
    async generateCompose() {
      generating();
      await released;
      // The row was marked done with its full lifetime before the admin's DELETE moved it.
      return { finished: { state: COMPOSE_STATES.done, timeToExpire: hourLater() } };
    },
    async expireCompose(id: number) {
      expireCalls.push(id);
      return { expired: true, timeToExpire: new Date().toISOString() };
    },
  };
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities });
  const running = worker.run();
  try {
    const handle = await client.workflow.start(composeWorkflow, {
      taskQueue,
      workflowId: `compose-race-${randomUUID()}`,
      args: [{ composeId: 7, pungiTimeout: 600, generateTaskQueue: taskQueue }],
    });
    await started;
    const removalAt = new Date().toISOString();
    await handle.signal(expiryChangedSignal, removalAt);
    release();
    // Either the workflow already expired the compose, or it is done and waiting for the signaled time.
    for (;;) {
      const { status } = await handle.describe();
      if (status.name !== 'RUNNING') break;
      const s = await handle.query(statusQuery);
      if (s.state === COMPOSE_STATES.done) {
        assert.ok(Date.parse(s.timeToExpire!) <= Date.parse(removalAt), `expires at ${s.timeToExpire}, signaled ${removalAt}`);
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await handle.result(), 'removed');
    assert.deepEqual(expireCalls, [7]);
  } finally {
    worker.shutdown();
    await running;
    await nativeConnection.close();
  }
});
