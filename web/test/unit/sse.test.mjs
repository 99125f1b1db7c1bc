// The event-stream reader: events split anywhere across network reads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSseParser, readSse } from '../../src/lib/sse.js';

const stream = 'event: audit\ndata: {"a":1}\n\n: keep-alive\n\nevent: explained\ndata: {"n":2}\n\ndata: plain\r\n\r\n';

test('events come out whole however the text is cut', () => {
  for (let size = 1; size <= stream.length; size++) {
    const events = [];
    const p = createSseParser((e) => events.push(e));
    for (let i = 0; i < stream.length; i += size) p.feed(stream.slice(i, i + size));
    p.end();
    assert.deepEqual(events, [{ event: 'audit', data: '{"a":1}' }, { event: 'explained', data: '{"n":2}' },
      { event: 'message', data: 'plain' }], `cut every ${size} characters`);
  }
});

test('multi-line data joins with newlines, and an unterminated last event still counts', () => {
  const events = [];
  const p = createSseParser((e) => events.push(e));
  p.feed('data: one\ndata: two\n\nevent: result\ndata: {}');
  p.end();
  assert.deepEqual(events, [{ event: 'message', data: 'one\ntwo' }, { event: 'result', data: '{}' }]);
});

test('readSse parses each event\'s JSON from a response body', async () => {
  const bytes = new TextEncoder().encode('event: token\ndata: {"delta":"h\u00e9"}\n\nevent: done\ndata: {"ok":true}\n\n');
  const body = new ReadableStream({
    start(c) {
      for (let i = 0; i < bytes.length; i += 3) c.enqueue(bytes.slice(i, i + 3));  // splits the UTF-8 of é too
      c.close();
    },
  });
  const got = [];
  for await (const e of readSse(new Response(body))) got.push(e);
  assert.deepEqual(got, [{ event: 'token', data: { delta: 'h\u00e9' } }, { event: 'done', data: { ok: true } }]);
});
