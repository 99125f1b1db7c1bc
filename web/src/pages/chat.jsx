// Ask a provider about the stack; the answer streams in token by token
// (POST /api/v1/chat with "stream": true, docs/api.md).
import { useEffect, useRef, useState } from 'preact/hooks';
import { ErrorNote } from '../components.jsx';
import { api, getJson } from '../lib/api.js';
import { useResource } from '../lib/resource.js';
import { readSse } from '../lib/sse.js';

export function ChatPage() {
  const providers = useResource(() => getJson('/api/v1/providers'), []);
  const [provider, setProvider] = useState('');
  const [text, setText] = useState('');
  const [messages, setMessages] = useState([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const stop = useRef(null);
  useEffect(() => () => stop.current?.abort(), []);

  const send = async (e) => {
    e.preventDefault();
    const question = text.trim();
    if (!question || busy) return;
    const history = [...messages.map(({ role, content }) => ({ role, content })), { role: 'user', content: question }];
    setMessages([...history, { role: 'assistant', content: '', streaming: true }]);
    setText('');
    setBusy(true);
    setError(null);
    const abort = new AbortController();
    stop.current = abort;
    let answer = '';
    const update = (patch) => setMessages((list) => [...list.slice(0, -1), { ...list[list.length - 1], ...patch }]);
    try {
      const body = { messages: history, stream: true };
      if (provider) body.provider = provider;
      const response = await api('/api/v1/chat', { method: 'POST', body, accept: 'text/event-stream', signal: abort.signal });
      for await (const { event, data } of readSse(response)) {
        if (event === 'token') {
          answer += data.delta;
          update({ content: answer });
        } else if (event === 'done') {
          update({ streaming: false, meta: `${data.provider}${data.model ? ` · ${data.model}` : ''} · ${data.finish_reason || 'done'}` });
        } else if (event === 'error') {
          throw new Error(`${data.error?.message || 'the provider failed'}${data.partial ? ' (the answer is cut short)' : ''}`);
        }
      }
    } catch (err) {
      if (err.name !== 'AbortError') setError(err);
      update({ streaming: false });
    } finally {
      setBusy(false);
      stop.current = null;
    }
  };

  return (
    <section aria-labelledby="chat-title">
      <h1 id="chat-title">Chat</h1>
      <p class="muted">Ask a provider about your stack. Nothing here is stored.</p>
      <ol class="chat" aria-live="polite" aria-label="Conversation">
        {messages.map((m, i) => (
          <li key={i} class={`msg msg-${m.role}`} aria-busy={m.streaming ? 'true' : undefined}>
            <span class="who">{m.role === 'user' ? 'You' : 'Model'}</span>
            <div class="content" data-testid={m.role === 'assistant' ? 'answer' : undefined}>{m.content || (m.streaming ? '…' : '')}</div>
            {m.meta && <div class="meta muted">{m.meta}</div>}
          </li>
        ))}
      </ol>
      <ErrorNote error={error} />
      <form class="ask" onSubmit={send}>
        <div>
          <label for="provider">Provider</label>
          <select id="provider" value={provider} onChange={(e) => setProvider(e.currentTarget.value)}>
            <option value="">Routing order</option>
            {(providers.data || []).map((p) => <option key={p.id} value={p.id}>{p.id} ({p.state})</option>)}
          </select>
        </div>
        <div class="grow">
          <label for="message">Message</label>
          <textarea id="message" rows={3} value={text} onInput={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) send(e); }}
            placeholder="Why should SABnzbd's API be behind a password?" />
        </div>
        <div class="actions">
          <button type="submit" disabled={busy || !text.trim()}>Send</button>
          {busy && <button type="button" class="secondary" onClick={() => stop.current?.abort()}>Stop</button>}
        </div>
      </form>
    </section>
  );
}
