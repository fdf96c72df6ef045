import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValueError } from '../../core/errors.js';
import { buildPageMeta, parseListQuery } from '../../core/list-query.js';

describe('parseListQuery: filters', () => {
  it('test_views.py filters', () => {
    assert.deepEqual(parseListQuery({ owner: 'me' }).filters, { owner: 'me' });
    assert.deepEqual(parseListQuery({ state: '0' }).filters, { state: 0 });
    assert.deepEqual(parseListQuery({ state: '2' }).filters, { state: 2 });
    assert.deepEqual(parseListQuery({ source_type: '2' }).filters, { source_type: 2 });
    assert.deepEqual(parseListQuery({ source: 'f26' }).filters, { source: 'f26' });
  });

  it('all filter keys; empty values are ignored; other args are not filters', () => {
    const q = parseListQuery({
      owner: 'me',
      source_type: '1',
      source: 'f26',
      state: '2',
      koji_task_id: '55',
      pungi_compose_id: 'odcs-1-1-20200101.t.0',
      compose_type: 'test',
      label: 'Beta-1.2',
      arches: 'x86_64',
    });
    assert.deepEqual(q.filters, {
      owner: 'me',
      source: 'f26',
      pungi_compose_id: 'odcs-1-1-20200101.t.0',
      compose_type: 'test',
      label: 'Beta-1.2',
      state: 2,
      source_type: 1,
      koji_task_id: 55,
    });
    assert.deepEqual(parseListQuery({ owner: '', state: '' }).filters, {});
  });

  it('state and source_type also accept names', () => {
    assert.equal(parseListQuery({ state: 'done' }).filters.state, 2);
    assert.equal(parseListQuery({ state: 'failed' }).filters.state, 4);
    assert.equal(parseListQuery({ source_type: 'tag' }).filters.source_type, 1);
    assert.equal(parseListQuery({ source_type: 'raw_config' }).filters.source_type, 5);
  });

  it('garbage for integer filters is a 400', () => {
    assert.throws(() => parseListQuery({ state: 'bogus' }), ValueError);
    assert.throws(() => parseListQuery({ state: '9' }), ValueError);
    assert.throws(() => parseListQuery({ source_type: 'x' }), ValueError);
    assert.throws(() => parseListQuery({ koji_task_id: '1.5' }), ValueError);
  });
});

describe('parseListQuery: order_by', () => {
  it('default -id, id ascending, -id descending', () => {
    assert.deepEqual(parseListQuery({}).orderBy, { column: 'id', descending: true });
    assert.deepEqual(parseListQuery({ order_by: 'id' }).orderBy, { column: 'id', descending: false });
    assert.deepEqual(parseListQuery({ order_by: '-id' }).orderBy, { column: 'id', descending: true });
  });

  it('every allowed key, source_Type typo mapped to the column', () => {
    for (const key of ['owner', 'koji_event', 'state', 'time_to_expire', 'time_submitted', 'time_done', 'time_removed']) {
      assert.deepEqual(parseListQuery({ order_by: `-${key}` }).orderBy, { column: key, descending: true });
    }
    assert.deepEqual(parseListQuery({ order_by: 'source_Type' }).orderBy, { column: 'source_type', descending: false });
  });

  it('unknown key → exact ODCS message (python list repr)', () => {
    const msg =
      "An invalid order_by key was suplied, allowed keys are: ['id', 'owner', 'source_Type', 'koji_event', 'state', 'time_to_expire', 'time_submitted', 'time_done', 'time_removed']";
    for (const bad of ['foo', 'source_type', '-', '', '--id']) {
      assert.throws(
        () => parseListQuery({ order_by: bad }),
        (e: unknown) => e instanceof ValueError && e.message === msg,
        bad,
      );
    }
  });
});

describe('parseListQuery: paging', () => {
  it('defaults and clamping', () => {
    assert.deepEqual(
      (({ page, perPage, offset }) => ({ page, perPage, offset }))(parseListQuery({})),
      { page: 1, perPage: 10, offset: 0 },
    );
    assert.equal(parseListQuery({ page: '0' }).page, 1);
    assert.equal(parseListQuery({ page: '-3' }).page, 1);
    assert.equal(parseListQuery({ page: '3', per_page: '5' }).offset, 10);
    assert.equal(parseListQuery({ per_page: '-1' }).perPage, 20);
    assert.equal(parseListQuery({ per_page: '1000' }).perPage, 100);
    assert.equal(parseListQuery({ per_page: '0' }).perPage, 0);
  });

  it('non-integer page/per_page fall back to the default, as werkzeug type=int does', () => {
    assert.equal(parseListQuery({ page: 'abc' }).page, 1);
    assert.equal(parseListQuery({ per_page: '2.5' }).perPage, 10);
  });
});

describe('buildPageMeta', () => {
  const baseUrl = 'http://localhost:5005/api/1/composes/';

  it('middle page with prev/next and kept query args', () => {
    const meta = buildPageMeta({ page: 2, perPage: 10, total: 35, baseUrl, query: { owner: 'me', page: '2', per_page: '10', _x: '1', order_by: '-id' } });
    assert.deepEqual(meta, {
      page: 2,
      pages: 4,
      per_page: 10,
      total: 35,
      first: `${baseUrl}?page=1&per_page=10&owner=me&order_by=-id`,
      last: `${baseUrl}?page=4&per_page=10&owner=me&order_by=-id`,
      prev: `${baseUrl}?page=1&per_page=10&owner=me&order_by=-id`,
      next: `${baseUrl}?page=3&per_page=10&owner=me&order_by=-id`,
    });
  });

  it('single page: no prev/next', () => {
    const meta = buildPageMeta({ page: 1, perPage: 10, total: 2, baseUrl, query: {} });
    assert.equal(meta.pages, 1);
    assert.equal(meta.prev, null);
    assert.equal(meta.next, null);
    assert.equal(meta.first, `${baseUrl}?page=1&per_page=10`);
    assert.equal(meta.last, `${baseUrl}?page=1&per_page=10`);
  });

  it('no rows: pages 0, links still present', () => {
    const meta = buildPageMeta({ page: 1, perPage: 10, total: 0, baseUrl, query: {} });
    assert.equal(meta.pages, 0);
    assert.equal(meta.last, `${baseUrl}?page=0&per_page=10`);
    assert.equal(meta.next, null);
  });

  it('page past the end has prev but no next', () => {
    const meta = buildPageMeta({ page: 9, perPage: 10, total: 12, baseUrl, query: {} });
    assert.equal(meta.prev, `${baseUrl}?page=8&per_page=10`);
    assert.equal(meta.next, null);
  });

  it('query values are form-encoded', () => {
    const meta = buildPageMeta({ page: 1, perPage: 10, total: 1, baseUrl, query: { source: 'a b/c:d' } });
    assert.equal(meta.first, `${baseUrl}?page=1&per_page=10&source=a+b%2Fc%3Ad`);
  });
});
