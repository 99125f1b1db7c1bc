// The audits over time: a plot of the score and of the findings by
// severity, the list, and the difference between two audits (new, fixed,
// unchanged), the pair kept in the URL (?from=ID&to=ID).
import { useEffect, useRef, useState } from 'preact/hooks';
import { ErrorNote, Loading, SeverityBadge, StateBadge } from '../components.jsx';
import { getJson } from '../lib/api.js';
import { SEVERITIES, appTitle, diffAudits, historySeries, valueText } from '../lib/audit.js';
import { useResource } from '../lib/resource.js';
import { setQuery } from '../lib/router.js';
import { when } from '../lib/time.js';

function Plot({ audits }) {
  const el = useRef(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let undo = null;
    let gone = false;
    import('./history_plot.js').then(({ drawHistory }) => {
      if (!gone && el.current) undo = drawHistory(el.current, historySeries(audits));
    }, setError);
    return () => {
      gone = true;
      if (undo) undo();
    };
  }, [audits]);
  return (
    <>
      <ErrorNote error={error} />
      <figure class="plot">
        <div ref={el} role="img" data-testid="history-plot"
          aria-label={`Score and findings by severity over ${audits.length} audits; the table below lists them`} />
      </figure>
    </>
  );
}

function FindingList({ title, findings, testid, showChange, collapsed }) {
  const list = findings.length === 0 ? <p class="muted">None.</p> : (
    <ul>
      {findings.map((f) => (
        <li key={`${f.application}/${f.rule_id}`}>
          <SeverityBadge severity={f.severity} /> <code>{f.rule_id}</code> {appTitle(f.application)}: {f.setting_path}
          {showChange && f.changed && <span class="muted"> ({valueText(f.before)} → {valueText(f.current)})</span>}
        </li>
      ))}
    </ul>
  );
  const count = <span class="count" data-testid={testid}>{findings.length}</span>;
  return (
    <section class="diff-part" aria-label={title}>
      {collapsed && findings.length > 0
        ? <details><summary><h3>{title} {count}</h3></summary>{list}</details>
        : <><h3>{title} {count}</h3>{list}</>}
    </section>
  );
}

function Diff({ from, to }) {
  const pair = useResource(async () => {
    if (!from || !to) return null;
    const [a, b] = await Promise.all([getJson(`/api/v1/audits/${encodeURIComponent(from)}`),
      getJson(`/api/v1/audits/${encodeURIComponent(to)}`)]);
    return { a, b, diff: diffAudits(a, b) };
  }, [from, to]);
  if (pair.error) return <ErrorNote error={pair.error} />;
  if (!pair.data) return pair.loading ? <Loading what="Comparing" /> : null;
  const { a, b, diff } = pair.data;
  return (
    <div aria-live="polite">
      <p>From {when(a.created_at)} (score {a.score}) to {when(b.created_at)} (score {b.score}):
        {' '}<strong>{diff.scoreDelta >= 0 ? '+' : ''}{diff.scoreDelta}</strong></p>
      <div class="diff">
        <FindingList title="New" findings={diff.added} testid="diff-new" />
        <FindingList title="Fixed" findings={diff.fixed} testid="diff-fixed" />
        <FindingList title="Unchanged" findings={diff.unchanged} testid="diff-unchanged" showChange collapsed />
      </div>
    </div>
  );
}

export function HistoryPage({ query }) {
  const list = useResource(() => getJson('/api/v1/audits?limit=200'), []);
  const audits = list.data?.audits || [];
  const [from, setFrom] = useState(query.get('from') || '');
  const [to, setTo] = useState(query.get('to') || '');
  useEffect(() => {  // by default: the two most recent
    if (audits.length >= 2 && !from && !to) {
      setFrom(audits[1].audit_id);
      setTo(audits[0].audit_id);
    }
  }, [audits]);  // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => setQuery({ from, to }), [from, to]);

  if (list.error) return <section><h1>History</h1><ErrorNote error={list.error} /></section>;
  if (!list.data) return <section><h1>History</h1><Loading /></section>;
  const option = (a) => <option key={a.audit_id} value={a.audit_id}>{when(a.created_at)} · score {a.score} · {a.audit_id}</option>;
  return (
    <section aria-labelledby="history-title">
      <h1 id="history-title">History</h1>
      {audits.length === 0 ? <p>No audit yet.</p> : <Plot audits={audits} />}

      <h2>Compare two audits</h2>
      {audits.length < 2 ? <p class="muted">Two audits are needed.</p> : (
        <>
          <div class="filters">
            <div><label for="from">From</label><select id="from" value={from} onChange={(e) => setFrom(e.currentTarget.value)}>{audits.map(option)}</select></div>
            <div><label for="to">To</label><select id="to" value={to} onChange={(e) => setTo(e.currentTarget.value)}>{audits.map(option)}</select></div>
          </div>
          <Diff from={from} to={to} />
        </>
      )}

      <h2>Audits</h2>
      <div class="scroll">
        <table>
          <thead><tr><th scope="col">When</th><th scope="col">Score</th>
            {SEVERITIES.map((s) => <th scope="col" key={s}>{s}</th>)}
            <th scope="col">Mode</th><th scope="col">Explained</th></tr></thead>
          <tbody>
            {audits.map((a) => (
              <tr key={a.audit_id}>
                <th scope="row"><a href={`/audits/${encodeURIComponent(a.audit_id)}`}>{when(a.created_at)}</a></th>
                <td>{a.score}</td>
                {SEVERITIES.map((s) => <td key={s}>{a.summary?.[s] ?? 0}</td>)}
                <td>{a.mode}{a.provider ? ` (${a.provider})` : ''}</td>
                <td><StateBadge state={a.enrichment_state || 'skipped'} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.data.total > audits.length && <p class="muted">The latest {audits.length} of {list.data.total}.</p>}
    </section>
  );
}
