// Providers in routing order (state, reason, breaker, "Check now") and the
// plugins discovery found, loaded or rejected with the reason.
import { useState } from 'preact/hooks';
import { ErrorNote, Loading, StateBadge } from '../components.jsx';
import { getJson, postJson } from '../lib/api.js';
import { useResource } from '../lib/resource.js';

function ProviderRow({ p: initial, order }) {
  const [p, setP] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const check = async () => {
    setBusy(true);
    setError(null);
    try {
      setP(await postJson(`/api/v1/providers/${encodeURIComponent(p.id)}/check`, {}));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <tr data-provider={p.id}>
      <td>{order}</td>
      <th scope="row">{p.id}</th>
      <td><StateBadge state={p.state} /></td>
      <td>{p.reason || ''}<ErrorNote error={error} /></td>
      <td>{p.breaker}</td>
      <td>{p.model || (p.models || []).join(', ') || '–'}{p.context_window ? ` (${p.context_window} tokens)` : ''}</td>
      <td>{p.latency_ms >= 0 ? `${p.latency_ms} ms` : '–'}</td>
      <td><button type="button" class="secondary" onClick={check} disabled={busy}
        aria-label={`Check ${p.id} now`}>{busy ? 'Checking…' : 'Check now'}</button></td>
    </tr>
  );
}

export function ProvidersPage() {
  const providers = useResource(() => getJson('/api/v1/providers'), []);
  const plugins = useResource(() => getJson('/api/v1/plugins'), []);
  return (
    <section aria-labelledby="providers-title">
      <h1 id="providers-title">Providers and plugins</h1>
      <h2>Routing order</h2>
      <p class="muted">Requests go to the first provider that is up; an open breaker or a provider known to be down is
        skipped (docs/routing.md).</p>
      {providers.error ? <ErrorNote error={providers.error} /> : !providers.data ? <Loading /> : (
        <div class="scroll">
          <table>
            <thead><tr><th scope="col">#</th><th scope="col">Provider</th><th scope="col">State</th>
              <th scope="col">Reason</th><th scope="col">Breaker</th><th scope="col">Model</th>
              <th scope="col">Latency</th><th scope="col"><span class="sr-only">Action</span></th></tr></thead>
            <tbody>{providers.data.map((p, i) => <ProviderRow key={p.id} p={p} order={i + 1} />)}</tbody>
          </table>
        </div>
      )}
      <h2>Plugins</h2>
      {plugins.error ? <ErrorNote error={plugins.error} /> : !plugins.data ? <Loading /> : (
        <div class="scroll">
          <table>
            <thead><tr><th scope="col">Plugin</th><th scope="col">State</th><th scope="col">Version</th>
              <th scope="col">ABI</th><th scope="col">Origin</th><th scope="col">Path and reason</th></tr></thead>
            <tbody>
              {plugins.data.plugins.map((p) => (
                <tr key={p.path} data-plugin={p.id}>
                  <th scope="row">{p.name || p.id}</th>
                  <td><StateBadge state={p.state} /></td>
                  <td>{p.version || '–'}</td><td>{p.abi_version || '–'}</td><td>{p.origin}</td>
                  <td><code class="path">{p.path}</code>
                    {p.state === 'rejected' && <div class="reason">step {p.step}: {p.reason}</div>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
