// The AMQP message of an outbox row (fedora-messaging's wire format) and the AMQP_* settings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { amqpTopic, buildAmqpMessage, messageIdFor, sentAt } from '../../core/amqp-message.js';
import { ConfigError, CONFIG_DOC, loadConfig } from '../../core/config.js';
import { redactUrl } from '../../worker/amqp-broker.js';
import { composeRecord } from '../fixtures/compose-record.js';

const event = (id: number, createdAt = new Date('2026-01-02T03:04:05.678Z')) => ({ id, composeId: 7, compose: composeRecord({ source: { type: 'tag', source: 'f40' } }, { id: 7 }), createdAt });

test('topic: odcs.compose.state-changed, behind an optional prefix joined as fedora-messaging does', () => {
  assert.equal(amqpTopic(''), 'odcs.compose.state-changed');
  assert.equal(amqpTopic('org.fedoraproject.prod'), 'org.fedoraproject.prod.odcs.compose.state-changed');
  assert.equal(amqpTopic('org.fedoraproject.prod.'), 'org.fedoraproject.prod.odcs.compose.state-changed');
});

test('message_id: a version-4-layout UUID, the same for every delivery of a row, different between rows', () => {
  const a = messageIdFor(event(1));
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(messageIdFor(event(1)), a);
  assert.notEqual(messageIdFor(event(2)), a);
  assert.notEqual(messageIdFor(event(1, new Date('2026-01-02T03:04:05.679Z'))), a, 'another deployment’s row 1');
  const ids = new Set(Array.from({ length: 2000 }, (_, i) => messageIdFor(event(i))));
  assert.equal(ids.size, 2000);
});

test('sent-at: UTC, whole seconds, with the +00:00 offset', () => {
  assert.equal(sentAt(new Date('2019-07-30T19:12:22.999Z')), '2019-07-30T19:12:22+00:00');
});

test('the message: JSON body {event, compose}, fedora-messaging properties and headers', () => {
  const e = event(42);
  const m = buildAmqpMessage(e, { topicPrefix: 'org.example', compose: { targetDirUrl: 'http://h/composes' } });
  assert.equal(m.routingKey, 'org.example.odcs.compose.state-changed');
  // ODCS's compose JSON, spelled out: the message must not drift from what ODCS consumers read.
  assert.deepEqual(JSON.parse(m.content.toString('utf8')), {
    event: 'state-changed',
    compose: {
      arches: 'x86_64',
      base_module_br_name: null,
      base_module_br_stream: null,
      base_module_br_stream_version_gte: null,
      base_module_br_stream_version_lte: null,
      builds: null,
      compose_type: 'test',
      flags: [],
      id: 7,
      koji_event: null,
      koji_task_id: null,
      label: null,
      lookaside_repos: '',
      modular_koji_tags: null,
      module_defaults_url: null,
      modules: null,
      multilib_arches: '',
      multilib_method: 0,
      owner: 'unknown',
      packages: null,
      parent_pungi_compose_ids: null,
      pungi_compose_id: null,
      removed_by: null,
      respin_of: null,
      result_repo: 'http://h/composes/odcs-7/compose/Temporary',
      result_repofile: 'http://h/composes/odcs-7/compose/Temporary/odcs-7.repo',
      results: ['repository'],
      scratch_build_tasks: null,
      scratch_modules: null,
      sigkeys: '',
      source: 'f40',
      source_type: 1,
      state: 0,
      state_name: 'wait',
      state_reason: null,
      target_dir: 'default',
      time_done: null,
      time_removed: null,
      time_started: null,
      time_submitted: '2024-01-01T00:00:00Z',
      time_to_expire: '2024-01-02T00:00:00Z',
      toplevel_url: 'http://h/composes/odcs-7',
    },
  });
  assert.deepEqual(m.options, {
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    deliveryMode: 2,
    messageId: messageIdFor(e),
    headers: {
      fedora_messaging_schema: 'base.message',
      fedora_messaging_schema_package: 'fedora_messaging',
      fedora_messaging_severity: 20,
      'sent-at': '2026-01-02T03:04:05+00:00',
      priority: 0,
    },
  });
  assert.ok(!('pungi_config_dump' in JSON.parse(m.content.toString('utf8')).compose));
  assert.deepEqual(buildAmqpMessage(e, { topicPrefix: 'org.example', compose: { targetDirUrl: 'http://h/composes' } }), m, 'a redelivery is identical');
});

test('AMQP_URL, AMQP_EXCHANGE, AMQP_TOPIC_PREFIX', () => {
  assert.equal(loadConfig({}, '/w').amqp, null, 'no relay without AMQP_URL');
  assert.deepEqual(loadConfig({ AMQP_URL: 'amqp://u:p@mq:5672/%2F' }, '/w').amqp, { url: 'amqp://u:p@mq:5672/%2F', exchange: 'amq.topic', topicPrefix: '' });
  assert.deepEqual(loadConfig({ AMQP_URL: 'amqps://mq', AMQP_EXCHANGE: 'odcs', AMQP_TOPIC_PREFIX: 'org.fedoraproject.prod.' }, '/w').amqp, {
    url: 'amqps://mq',
    exchange: 'odcs',
    topicPrefix: 'org.fedoraproject.prod.',
  });
  assert.throws(() => loadConfig({ AMQP_URL: 'http://mq' }, '/w'), (err: Error) => err instanceof ConfigError && err.message.includes('AMQP_URL='));
  assert.throws(() => loadConfig({ AMQP_URL: 'amqp://mq', AMQP_TOPIC_PREFIX: 'a.#' }, '/w'), ConfigError);
  const documented = new Set(CONFIG_DOC.map(([name]) => name));
  for (const name of ['AMQP_URL', 'AMQP_EXCHANGE', 'AMQP_TOPIC_PREFIX']) assert.ok(documented.has(name), name);
  assert.equal(redactUrl('amqp://user:secret@mq:5672/%2F'), 'amqp://user:***@mq:5672/%2F');
});
