// Where the external tools live. Plain JavaScript so the bootstrap can use it before npm install.
import os from 'node:os';
import path from 'node:path';

export const TEMPORAL_CLI_VERSION = '1.5.1';

/** Per-user cache, outside the clone, so fresh clones on one machine share the built CLI. */
export function cacheDir() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'odcs-flow');
}

export function temporalCliPath() {
  if (process.env.TEMPORAL_CLI) return path.resolve(process.env.TEMPORAL_CLI);
  return path.join(cacheDir(), `temporal-cli-${TEMPORAL_CLI_VERSION}`, 'temporal');
}

/** Commands the service shells out to, with the Debian package that provides each. */
export const DEBIAN_TOOLS = [
  { command: 'rpm', pkg: 'rpm' },
  { command: 'rpmbuild', pkg: 'rpm' },
  { command: 'createrepo_c', pkg: 'createrepo-c' },
  { command: 'dnf', pkg: 'dnf' },
  { file: '/usr/lib/python3/dist-packages/dnf-plugins/repoclosure.py', pkg: 'dnf-plugins-core' },
  // Only for the tests: Fedora's Python odcs client needs gssapi, compiled against Kerberos.
  { command: 'krb5-config', pkg: 'libkrb5-dev' },
  // Only for the tests: the browser tests drive Debian's chromium with playwright-core.
  { command: 'chromium', pkg: 'chromium' },
  // Only for the tests and benchmarks of the AMQP relay: a private broker (scripts/services/rabbitmq.ts).
  // The real start script, not /usr/sbin/rabbitmq-server (a wrapper that runs as the rabbitmq user).
  { file: '/usr/lib/rabbitmq/bin/rabbitmq-server', pkg: 'rabbitmq-server' },
];
