// One audit (/audits/{id}, /audits/latest): findings grouped by application
// and severity, with filters and search kept in the URL; each finding shows
// current, recommended and why, and the model's explanation, which fills in
// live while the enrichment runs. Export as Markdown (the CLI's own) and JSON.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ErrorNote, Loading, Score, SeverityBadge, StateBadge } from '../components.jsx';
import { api, getJson } from '../lib/api.js';
import { APPLICATIONS, SEVERITIES, appTitle, filterFindings, groupFindings, valueText } from '../lib/audit.js';
import { fetchAudit } from '../lib/fetch_audit.js';
import { download } from '../lib/download.js';
import { liveAudit } from '../lib/live_audit.js';
import { useResource } from '../lib/resource.js';
import { setQuery } from '../lib/router.js';
import { useStore } from '../lib/store.js';
import { when } from '../lib/time.js';
import { RunAuditButton } from './overview.jsx';

function Finding({ f, running }) {
  return (
    <article class="finding" aria-labelledby={`f-${f.rule_id}`}>
      <h4 id={`f-${f.rule_id}`}><SeverityBadge severity={f.severity} /> <code>{f.rule_id}</code>
        {' '}<span class="setting">{f.setting_path}</span></h4>
      <dl>
        <dt>Current</dt><dd><code>{valueText(f.current) || '(not set)'}</code></dd>
        <dt>Recommended</dt><dd>{f.recommended}</dd>
        <dt>Why</dt><dd>{f.rationale}</dd>
        <dt>Explanation</dt>
        <dd class="explanation" aria-busy={running && !f.explanation ? 'true' : undefined}>
          {f.explanation || (running ? <span class="muted">Explaining…</span> : <span class="muted">Not explained</span>)}
          {f.impact && <><br /><strong>Impact:</strong> {f.impact}</>}
        </dd>
      </dl>
    </article>
  );
}

function Progress({ audit, live }) {
  const e = audit.enrichment || {};
  const running = e.state === 'running';
  return (
    <p class="progress" aria-live="polite">
      {running ? <>Explaining: <strong data-testid="explained">{e.explained}</strong> of {e.total}
        {e.batches ? ` (batch ${e.batches_done} of ${e.batches})` : ''} <progress max={e.total || 1} value={e.explained} /></>
        : <>Explained {e.explained ?? 0} of {e.total ?? 0} <StateBadge state={e.state || 'skipped'} />
          {e.not_explained_reason && <span class="muted"> — {e.not_explained_reason}</span>}</>}
      {live?.running && live.stage !== 'explaining' && live.stage !== 'done' && <> · {live.stage}…</>}
    </p>
  );
}

export function AuditPage({ id, query }) {
  const live = useStore(liveAudit);
  const stored = useResource(() => fetchAudit(id), [id]);
  const fromLive = live.report && (id === live.report.audit_id || (id === 'latest' && live.running)) ? live.report : null;
  const audit = fromLive || stored.data;
  const running = audit?.enrichment?.state === 'running';

  // A run in this tab has ended: show what the server stored.
  useEffect(() => {
    if (!live.running && live.report && (id === 'latest' || id === live.report.audit_id)) stored.reload();
  }, [live.running]);  // eslint-disable-line react-hooks/exhaustive-deps
  // An audit explained in the background (by the server's worker): look again every 2 s.
  useEffect(() => {
    if (!running || fromLive) return undefined;
    const t = setTimeout(stored.reload, 2000);
    return () => clearTimeout(t);
  }, [running, fromLive, stored.data]);  // eslint-disable-line react-hooks/exhaustive-deps

  const [search, setSearch] = useState(query.get('q') || '');
  const [severities, setSeverities] = useState(
    new Set((query.get('severity') || SEVERITIES.join(',')).split(',').filter((s) => SEVERITIES.includes(s))));
  const [application, setApplication] = useState(query.get('app') || '');
  useEffect(() => {
    setQuery({ q: search, severity: severities.size === SEVERITIES.length ? '' : [...severities].join(','),
      app: application });
  }, [search, severities, application]);

  const shown = useMemo(() => (audit ? filterFindings(audit.findings, { search, severities, application }) : []),
    [audit, search, severities, application]);
  const [exportError, setExportError] = useState(null);

  if (stored.error && !fromLive) return <section><h1>Audit</h1><ErrorNote error={stored.error} /></section>;
  if (!audit) {
    return (
      <section>
        <div class="title-row"><h1>Audit</h1><RunAuditButton /></div>
        {stored.loading ? <Loading /> : <p>No audit yet.</p>}
      </section>
    );
  }
  const toggle = (s) => {
    const next = new Set(severities);
    if (next.has(s)) next.delete(s);
    else next.add(s);
    setSeverities(next);
  };
  const exportAs = async (format) => {
    setExportError(null);
    try {
      const path = `/api/v1/audits/${encodeURIComponent(audit.audit_id)}`;
      if (format === 'markdown') {
        const text = await (await api(`${path}?format=markdown`, { accept: 'text/markdown' })).text();
        download(`autoarr-audit-${audit.audit_id}.md`, 'text/markdown', text);
      } else {
        download(`autoarr-audit-${audit.audit_id}.json`, 'application/json',
          `${JSON.stringify(await getJson(path), null, 2)}\n`);
      }
    } catch (e) {
      setExportError(e);
    }
  };

  return (
    <section aria-labelledby="audit-title">
      <div class="title-row">
        <h1 id="audit-title">Audit <small class="muted">{audit.audit_id}</small></h1>
        <RunAuditButton />
      </div>
      <p class="lead"><Score value={audit.score} /> <span>{audit.findings.length} findings · {when(audit.created_at)}
        {' · '}{audit.mode}{audit.provider ? ` (${audit.provider})` : ''}</span></p>
      {audit.mode_reason && <p class="note">{audit.mode_reason}</p>}
      <Progress audit={audit} live={fromLive ? live : null} />
      {live.error && fromLive && <ErrorNote error={live.error} />}

      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label for="search">Search findings</label>
          <input id="search" type="search" value={search} placeholder="rule, setting, value, text"
            onInput={(e) => setSearch(e.currentTarget.value)} />
        </div>
        <fieldset>
          <legend>Severity</legend>
          {SEVERITIES.map((s) => (
            <label key={s} class="check">
              <input type="checkbox" name="severity" value={s} checked={severities.has(s)} onChange={() => toggle(s)} />
              {' '}{s} ({audit.summary?.[s] ?? 0})
            </label>
          ))}
        </fieldset>
        <div>
          <label for="application">Application</label>
          <select id="application" value={application} onChange={(e) => setApplication(e.currentTarget.value)}>
            <option value="">All</option>
            {APPLICATIONS.map((a) => <option key={a} value={a}>{appTitle(a)}</option>)}
          </select>
        </div>
        <div class="exports">
          <button type="button" class="secondary" onClick={() => exportAs('markdown')}>Export Markdown</button>
          <button type="button" class="secondary" onClick={() => exportAs('json')}>Export JSON</button>
        </div>
      </form>
      <ErrorNote error={exportError} />
      <p class="muted" aria-live="polite" data-testid="shown">Showing {shown.length} of {audit.findings.length} findings</p>

      {groupFindings(shown).map(({ application: app, groups }) => (
        <section key={app} class="app-group" aria-labelledby={`app-${app}`}>
          <h2 id={`app-${app}`}>{appTitle(app)}</h2>
          {groups.map(({ severity, findings }) => (
            <section key={severity} aria-label={`${appTitle(app)}, ${severity}`}>
              <h3><SeverityBadge severity={severity} /> {findings.length}</h3>
              {findings.map((f) => <Finding key={f.rule_id} f={f} running={running} />)}
            </section>
          ))}
        </section>
      ))}
    </section>
  );
}
