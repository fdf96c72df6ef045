// No Docker engine exists here: check that docker-compose.yml describes the same production
// topology as `npm run cluster` (scripts/cluster/topology.ts): services, image versions, the one
// Temporal config file, the schema step, ports and environment, compiled JavaScript.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ROOT } from '../harness/stack.js';
import {
  API_COUNT,
  WORKER_NODE_ARGS,
  TEMPORAL_CONFIG_DIR,
  TEMPORAL_CONFIG_FILE,
  TEMPORAL_DATABASES,
  TEMPORAL_DYNAMIC_CONFIG_FILE,
  TEMPORAL_SERVER_ARGS,
  TEMPORAL_SERVER_VERSION,
  TEMPORAL_SERVICES,
  TEMPORAL_UI_SERVER_VERSION,
  WORKER_COUNT,
  clusterPorts,
  odcsEnv,
  postgresTarget,
  temporalServiceEnv,
  temporalUiEnv,
} from '../../scripts/cluster/topology.js';

const doc = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
const services = doc.services as Record<string, any>;
const ports = clusterPorts();
const apiNames = Array.from({ length: API_COUNT }, (_, i) => `api-${i + 1}`);
const temporalNames = TEMPORAL_SERVICES.map((s) => `temporal-${s}`);
/** "127.0.0.1:8080:8080" -> [host port, container port] */
const published = (svc: any): Array<[number, number]> =>
  (svc.ports ?? []).map((p: string) => {
    const parts = p.split(':');
    return [Number(parts.at(-2)), Number(parts.at(-1))];
  });

test('docker-compose.yml has the services of npm run cluster, and no all-in-one Temporal image', () => {
  const expected = ['postgres', 'temporal-schema', ...temporalNames, 'temporal-namespace', 'temporal-ui', 'migrate', 'worker', ...apiNames];
  assert.deepEqual(Object.keys(services).sort(), expected.sort());
  assert.equal(services.worker.deploy?.replicas, WORKER_COUNT, 'as many workers as the cluster');
  const text = fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
  assert.doesNotMatch(text, /auto-setup|temporalio\/temporal:|start-dev/, 'no deprecated auto-setup or all-in-one image');
  assert.match(services.postgres.image, /^postgres:\d+$/);
  assert.ok(services.postgres.command.includes('max_connections=200'), 'room for four Temporal services');
});

test('the Temporal images are the versions the cluster builds', () => {
  for (const name of temporalNames) assert.equal(services[name].image, `temporalio/server:${TEMPORAL_SERVER_VERSION}`, name);
  assert.equal(services['temporal-schema'].image, `temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`);
  assert.equal(services['temporal-ui'].image, `temporalio/ui:${TEMPORAL_UI_SERVER_VERSION}`);
});

test('each Temporal service runs one service from the same config file as the cluster', () => {
  assert.ok(fs.existsSync(path.join(ROOT, TEMPORAL_CONFIG_FILE)));
  assert.ok(fs.existsSync(path.join(ROOT, TEMPORAL_DYNAMIC_CONFIG_FILE)));
  const config = fs.readFileSync(path.join(ROOT, TEMPORAL_CONFIG_FILE), 'utf8');
  assert.match(config.split('\n')[0], /enable-template/, 'the server renders it from the environment');
  assert.equal((config.match(/pluginName: postgres12/g) ?? []).length, 2, 'persistence and visibility on PostgreSQL');
  for (const service of TEMPORAL_SERVICES) {
    const svc = services[`temporal-${service}`];
    const [mount] = svc.volumes as string[];
    const [from, to] = mount.split(':');
    assert.equal(path.normalize(from), path.normalize(`./${TEMPORAL_CONFIG_DIR}`), `${service} mounts ${TEMPORAL_CONFIG_DIR}`);
    assert.equal(svc.working_dir, to, `${service} runs where the config is mounted (relative dynamic config path)`);
    const command = (svc.entrypoint as string[]).join(' ');
    assert.ok(command.includes(`temporal-server ${TEMPORAL_SERVER_ARGS.join(' ')} start --service ${service}`), `${service}: ${command}`);
    assert.equal(svc.restart, 'unless-stopped', `${service} is restarted when it dies`);
    assert.equal(svc.depends_on['temporal-schema'].condition, 'service_completed_successfully');
  }
});

test('the schema step is the cluster\'s: both databases created, set up and updated with temporal-sql-tool', () => {
  const schema = services['temporal-schema'];
  assert.equal(schema.environment.SQL_PLUGIN, 'postgres12');
  const script = (schema.command as string[]).join('\n');
  for (const step of ['create-database', 'setup-schema -v 0.0', 'update-schema -d /etc/temporal/schema/postgresql/v12/$$kind/versioned']) {
    assert.ok(script.includes(`temporal-sql-tool ${step}`), step);
  }
  for (const [kind, db] of Object.entries(TEMPORAL_DATABASES)) assert.ok(script.includes(`${db}:${kind}`), `${db} (${kind})`);
});

test('ports are the cluster\'s', () => {
  assert.deepEqual(published(services['temporal-frontend']), [[ports.grpc.frontend, ports.grpc.frontend]]);
  assert.deepEqual(published(services['temporal-ui']), [[ports.ui, ports.ui]]);
  assert.equal(services['temporal-ui'].environment.TEMPORAL_UI_PORT, String(ports.ui));
  apiNames.forEach((name, i) => {
    assert.deepEqual(published(services[name]), [[ports.apis[i], ports.apis[i]]], name);
    assert.equal(services[name].environment.PORT, String(ports.apis[i]), name);
  });
  for (const service of TEMPORAL_SERVICES) {
    const env = services[`temporal-${service}`].environment;
    const cluster = temporalServiceEnv(service, ports, postgresTarget('postgres://x@postgres:5432/x'));
    for (const key of Object.keys(cluster).filter((k) => k.endsWith('_PORT') && k !== 'DB_PORT')) assert.equal(env[key], cluster[key], `${service} ${key}`);
    assert.equal(env.PROMETHEUS_ENDPOINT.split(':').at(-1), String(ports.metrics[service]), `${service} metrics port`);
  }
});

test('the environment the cluster sets is set in docker-compose.yml too', () => {
  const keys = (o: object) => Object.keys(o).sort();
  for (const service of TEMPORAL_SERVICES) {
    const svc = services[`temporal-${service}`];
    const env = { ...svc.environment };
    // Each container's own address, known only inside it.
    if ((svc.entrypoint as string[]).join(' ').includes('TEMPORAL_BROADCAST_ADDRESS=')) env.TEMPORAL_BROADCAST_ADDRESS = 'set at start';
    const cluster = temporalServiceEnv(service, ports, postgresTarget('postgres://x@postgres:5432/x'));
    assert.deepEqual(keys(env), keys(cluster), `temporal-${service}`);
    assert.equal(env.DBNAME, TEMPORAL_DATABASES.temporal);
    assert.equal(env.VISIBILITY_DBNAME, TEMPORAL_DATABASES.visibility);
  }
  assert.deepEqual(keys(services['temporal-ui'].environment), keys(temporalUiEnv(ports)));
  const odcs = keys(odcsEnv({ databaseUrl: 'postgres://x@h/x', ports, dataDir: '/d', host: '127.0.0.1' }));
  for (const name of ['worker', 'migrate', 'temporal-namespace', ...apiNames]) {
    const env = keys(services[name].environment).filter((k) => !['HOST', 'PORT', 'NOAUTH_ALLOW_PUBLIC', 'API_PROCESSES'].includes(k));
    assert.deepEqual(env, odcs, name);
    assert.match(services[name].environment.DATABASE_URL, /^postgres:\/\/.*@postgres:5432\//);
    assert.equal(services[name].environment.TEMPORAL_ADDRESS, `temporal-frontend:${ports.grpc.frontend}`);
  }
  // One public URL for every replica, as in the cluster.
  assert.equal(new Set([...apiNames, 'worker'].map((n) => services[n].environment.TARGET_DIR_URL)).size, 1);
});

test('odcs-flow services run compiled JavaScript from the Dockerfile, not tsx', () => {
  const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /RUN node scripts\/build\.mjs/);
  assert.match(dockerfile, /CMD \["node", "dist\//);
  assert.doesNotMatch(dockerfile, /tsx/);
  for (const name of ['worker', 'migrate', 'temporal-namespace', ...apiNames]) {
    const svc = services[name];
    assert.equal(svc.build, '.', `${name} is built from the project's Dockerfile`);
    const command = svc.command as string[];
    const at = command.findIndex((arg) => arg.startsWith('dist/'));
    const [node, script] = [command[0], command[at]];
    assert.equal(node, 'node', name);
    // The worker runs with the cluster's node flags; the others with none.
    assert.deepEqual(command.slice(1, at), name === 'worker' ? WORKER_NODE_ARGS : [], name);
    assert.match(script, /^dist\/.*\.js$/, name);
    const source = script.replace(/^dist\//, '').replace(/\.js$/, '.ts');
    assert.ok(fs.existsSync(path.join(ROOT, source)), `${source} exists`);
  }
});
