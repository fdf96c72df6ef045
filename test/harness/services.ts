// PostgreSQL and Temporal for the test run. The default is local processes (the only path our
// machines have: no Docker engine); with ODCS_TEST_CONTAINERS=1 and a Docker engine that answers,
// both come from testcontainers instead.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { startLocalPostgres } from '../../scripts/services/postgres.js';
import { startLocalTemporal } from '../../scripts/services/temporal.js';
import { freePort } from '../../scripts/services/process-utils.js';

export interface TestServices {
  kind: 'local processes' | 'testcontainers';
  databaseUrl: string;
  temporalAddress: string;
  stop(): Promise<void>;
}

function dockerAnswers(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

async function startLocal(tmp: string): Promise<TestServices> {
  const [pgPort, temporalPort] = [await freePort(), await freePort()];
  const [postgres, temporal] = await Promise.all([
    startLocalPostgres({ dataDir: path.join(tmp, 'postgres'), port: pgPort, database: 'odcs_test' }),
    startLocalTemporal({ port: temporalPort, logFile: path.join(tmp, 'temporal.log') }),
  ]);
  return {
    kind: 'local processes',
    databaseUrl: postgres.url,
    temporalAddress: temporal.address,
    async stop() {
      await Promise.allSettled([temporal.stop(), postgres.stop()]);
    },
  };
}

async function startContainers(): Promise<TestServices> {
  // Loaded only on this path, so the package is not needed where there is no Docker.
  const moduleName = 'testcontainers';
  const { GenericContainer, Wait } = await import(moduleName);
  const postgres = await new GenericContainer('postgres:16')
    .withEnvironment({ POSTGRES_PASSWORD: 'odcs', POSTGRES_DB: 'odcs_test' })
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/ready to accept connections/, 2))
    .start();
  const temporal = await new GenericContainer('temporalio/temporal:1.5.1')
    .withCommand(['server', 'start-dev', '--ip', '0.0.0.0', '--headless'])
    .withExposedPorts(7233)
    .withWaitStrategy(Wait.forListeningPorts())
    .start();
  return {
    kind: 'testcontainers',
    databaseUrl: `postgres://postgres:odcs@${postgres.getHost()}:${postgres.getMappedPort(5432)}/odcs_test`,
    temporalAddress: `${temporal.getHost()}:${temporal.getMappedPort(7233)}`,
    async stop() {
      await Promise.allSettled([postgres.stop(), temporal.stop()]);
    },
  };
}

export async function startTestServices(tmp: string): Promise<TestServices> {
  if (process.env.ODCS_TEST_CONTAINERS === '1') {
    if (dockerAnswers()) return startContainers();
    process.stderr.write('[test] ODCS_TEST_CONTAINERS=1 but no Docker engine answers: using local processes\n');
  }
  return startLocal(tmp);
}
