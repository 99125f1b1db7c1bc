// Server-sent events read from a fetch() response body. EventSource cannot
// POST nor send an Authorization header, and the audit and chat streams need
// both (docs/api.md).

// Feeds text in arbitrary pieces; calls onEvent({event, data}) for each
// complete event ("message" when no event: line was given).
export function createSseParser(onEvent) {
  let buffer = '';
  let event = '';
  let data = [];
  const line = (text) => {
    if (text === '') {
      if (data.length) onEvent({ event: event || 'message', data: data.join('\n') });
      event = '';
      data = [];
      return;
    }
    if (text.startsWith(':')) return;  // a comment (keep-alive)
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  };
  return {
    feed(text) {
      buffer += text;
      let at;
      while ((at = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const eol = buffer.startsWith('\r\n', at) ? 2 : 1;
        if (buffer[at] === '\r' && eol === 1 && at === buffer.length - 1) break;  // maybe half of \r\n
        line(buffer.slice(0, at));
        buffer = buffer.slice(at + eol);
      }
    },
    end() {
      if (buffer) line(buffer);
      buffer = '';
      line('');
    },
  };
}

// Yields {event, data} with data parsed as JSON, as the events arrive.
export async function* readSse(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const queue = [];
  const parser = createSseParser((e) => queue.push(e));
  for (;;) {
    const { value, done } = await reader.read();
    if (done) parser.end();
    else parser.feed(decoder.decode(value, { stream: true }));
    while (queue.length) {
      const e = queue.shift();
      let data;
      try {
        data = JSON.parse(e.data);
      } catch {
        data = { raw: e.data };
      }
      yield { event: e.event, data };
    }
    if (done) return;
  }
}
