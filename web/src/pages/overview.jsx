// The overview: the latest audit (score, counts by severity and by
// application), the providers, the applications, and "Run audit now".
import { useState } from 'preact/hooks';
import { ErrorNote, Loading, Score, SeverityBadge, StateBadge } from '../components.jsx';
import { getJson } from '../lib/api.js';
import { APPLICATIONS, SEVERITIES, appTitle, countByApplication } from '../lib/audit.js';
import { fetchAudit } from '../lib/fetch_audit.js';
import { runAudit } from '../lib/live_audit.js';
import { useResource } from '../lib/resource.js';
import { navigate } from '../lib/router.js';
import { when } from '../lib/time.js';

export function RunAuditButton() {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const id = await runAudit();
      navigate(`/audits/${encodeURIComponent(id)}`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="run">
      <button type="button" onClick={run} disabled={busy}>{busy ? 'Starting…' : 'Run audit now'}</button>
      <ErrorNote error={error} />
    </span>
  );
}

function LatestAudit({ audit }) {
  if (!audit) return <p>No audit yet. Run one to see how the stack is configured.</p>;
  const byApp = countByApplication(audit.findings);
  return (
    <>
      <p class="lead">
        <Score value={audit.score} /> <span>{audit.findings.length} findings · {when(audit.created_at)} ·
          {' '}{audit.mode}{audit.provider ? ` (${audit.provider})` : ''}</span>
      </p>
      <div class="cards">
        <table class="compact">
          <caption>By severity</caption>
          <tbody>
            {SEVERITIES.map((s) => (
              <tr key={s}><th scope="row"><SeverityBadge severity={s} /></th><td>{audit.summary?.[s] ?? 0}</td></tr>
            ))}
          </tbody>
        </table>
        <table class="compact">
          <caption>By application</caption>
          <tbody>
            {APPLICATIONS.map((a) => (
              <tr key={a}><th scope="row">{appTitle(a)}</th><td>{byApp[a]}</td></tr>
            ))}
          </tbody>
        </table>
      </div>
      <p><a href={`/audits/${encodeURIComponent(audit.audit_id)}`}>Open this audit</a>
        {' · '}explained {audit.enrichment?.explained ?? 0} of {audit.enrichment?.total ?? 0}
        {' '}<StateBadge state={audit.enrichment?.state ?? 'skipped'} /></p>
    </>
  );
}

export function OverviewPage() {
  const audit = useResource(() => fetchAudit('latest'), []);
  const providers = useResource(() => getJson('/api/v1/providers'), []);
  return (
    <section aria-labelledby="overview-title">
      <div class="title-row">
        <h1 id="overview-title">Overview</h1>
        <RunAuditButton />
      </div>
      <h2>Latest audit</h2>
      {audit.error ? <ErrorNote error={audit.error} /> : audit.loading && audit.data === undefined ? <Loading />
        : <LatestAudit audit={audit.data} />}

      <h2>Providers</h2>
      {providers.error ? <ErrorNote error={providers.error} /> : !providers.data ? <Loading /> : (
        <div class="scroll">
          <table>
            <thead><tr><th scope="col">Provider</th><th scope="col">State</th><th scope="col">Breaker</th>
              <th scope="col">Latency</th></tr></thead>
            <tbody>
              {providers.data.map((p) => (
                <tr key={p.id}>
                  <th scope="row">{p.id}</th><td><StateBadge state={p.state} /></td><td>{p.breaker}</td>
                  <td>{p.latency_ms >= 0 ? `${p.latency_ms} ms` : '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p><a href="/providers">Providers and plugins</a></p>

      <h2>Applications</h2>
      {audit.data ? (
        <div class="scroll">
          <table>
            <caption class="muted">As reached by the latest audit</caption>
            <thead><tr><th scope="col">Application</th><th scope="col">Reached</th><th scope="col">Version</th>
              <th scope="col">Problem</th></tr></thead>
            <tbody>
              {audit.data.applications.map((a) => (
                <tr key={a.name}>
                  <th scope="row">{appTitle(a.name)}</th><td><StateBadge state={a.status} /></td>
                  <td>{a.version || '–'}</td><td>{a.error || ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : !audit.loading && <p class="muted">Known after the first audit.</p>}
    </section>
  );
}
