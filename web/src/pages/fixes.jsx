// Fixes for an audit (docs/api.md, "Fixes"): the dry-run diff per
// application, apply the selected changes, the result, and the change sets
// with their rollback. Nothing is written to an application before "Apply".
import { useEffect, useState } from 'preact/hooks';
import { ErrorNote, Loading, SeverityBadge, StateBadge } from '../components.jsx';
import { getJson, postJson } from '../lib/api.js';
import { SEVERITIES, appTitle, valueText } from '../lib/audit.js';
import { useResource } from '../lib/resource.js';
import { setQuery } from '../lib/router.js';
import { when } from '../lib/time.js';

const changeKey = (app, c) => `${app}\u0000${c.rule_id}\u0000${c.setting}`;

function DryRun({ plan, selected, setSelected }) {
  const toggle = (rule) => {
    const next = new Set(selected);
    if (next.has(rule)) next.delete(rule);
    else next.add(rule);
    setSelected(next);
  };
  const changes = plan.apps.reduce((n, a) => n + a.changes.length, 0);
  return (
    <>
      <p aria-live="polite" data-testid="dry-run-summary">{changes} change{changes === 1 ? '' : 's'} in
        {' '}{plan.apps.length} application{plan.apps.length === 1 ? '' : 's'}
        {plan.manual?.length ? `, ${plan.manual.length} to do by hand` : ''}.</p>
      {plan.apps.map((a) => (
        <section key={a.app} aria-labelledby={`fix-${a.app}`}>
          <h3 id={`fix-${a.app}`}>{appTitle(a.app)}</h3>
          <div class="scroll">
            <table>
              <thead><tr><th scope="col">Apply</th><th scope="col">Rule</th><th scope="col">Setting</th>
                <th scope="col">Before</th><th scope="col">After</th><th scope="col">Restart</th></tr></thead>
              <tbody>
                {a.changes.map((c) => (
                  <tr key={changeKey(a.app, c)}>
                    <td><input type="checkbox" checked={selected.has(c.rule_id)} onChange={() => toggle(c.rule_id)}
                      aria-label={`Apply ${c.rule_id} (${c.setting})`} /></td>
                    <th scope="row"><code>{c.rule_id}</code> <SeverityBadge severity={c.severity} /></th>
                    <td><code>{c.setting}</code></td>
                    <td class="before"><code>{valueText(c.before)}</code></td>
                    <td class="after"><code>{valueText(c.after)}</code></td>
                    <td>{c.restart_required ? 'yes' : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ))}
      {plan.manual?.length > 0 && (
        <section aria-labelledby="manual-title">
          <h3 id="manual-title">By hand</h3>
          <ul>{plan.manual.map((m) => <li key={m.rule_id}><code>{m.rule_id}</code>: {m.reason}</li>)}</ul>
        </section>
      )}
    </>
  );
}

function FieldStates({ fields, caption }) {
  if (!fields?.length) return null;
  return (
    <div class="scroll">
      <table>
        <caption>{caption}</caption>
        <thead><tr><th scope="col">Rule</th><th scope="col">Application</th><th scope="col">Setting</th>
          <th scope="col">State</th><th scope="col">Problem</th></tr></thead>
        <tbody>
          {fields.map((f, i) => (
            <tr key={i}><th scope="row"><code>{f.rule_id}</code></th><td>{appTitle(f.app)}</td><td><code>{f.setting}</code></td>
              <td><StateBadge state={f.state} /></td><td>{f.error || ''}</td></tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// What an apply did (docs/api.md, "Fixes"): the change set, each field's
// state, and the re-audit's verdict.
function Outcome({ result }) {
  const v = result.verification || {};
  const list = (ids) => (ids?.length ? ids.join(', ') : 'none');
  return (
    <div class="outcome" role="status" data-testid="apply-result">
      <p>Change set <code>{result.change_set.id}</code>: <StateBadge state={result.change_set.state} />
        {result.stopped_by && <span class="error"> stopped by {result.stopped_by}</span>}</p>
      <FieldStates fields={result.fields} caption="Written" />
      <FieldStates fields={result.rollback} caption="Undone after the failure" />
      {v.ran ? <p>Re-audit: score {v.score_before} → {v.score_after}, {v.findings_after} findings.</p>
        : <p class="note">Re-audit not run: {v.error}</p>}
      <p>Fixed: <span data-testid="fixed">{list(result.fixed)}</span></p>
      {result.failed?.length > 0 && <p class="error">Still failing: {list(result.failed)}</p>}
      {result.left?.length > 0 && <p>Left as they were: {list(result.left)}</p>}
      {result.restart_required?.length > 0 && (
        <p class="note">Restart before it takes effect: {result.restart_required.map(appTitle).join(', ')}</p>)}
    </div>
  );
}

function ChangeSets({ generation }) {
  const sets = useResource(() => getJson('/api/v1/changes'), [generation]);
  const [busy, setBusy] = useState('');
  const [message, setMessage] = useState(null);
  const [error, setError] = useState(null);
  const rollback = async (id) => {
    setBusy(id);
    setError(null);
    setMessage(null);
    try {
      const r = await postJson(`/api/v1/changes/${encodeURIComponent(id)}/rollback`, {});
      const failed = (r.fields || []).filter((f) => f.state === 'failed').length;
      setMessage(`Change set ${id}: ${r.change_set.state}${failed ? `, ${failed} setting(s) could not be restored` : ''}.`);
      sets.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy('');
    }
  };
  if (sets.error) return <ErrorNote error={sets.error} />;
  if (!sets.data) return <Loading />;
  return (
    <>
      {message && <p role="status" data-testid="rollback-result">{message}</p>}
      <ErrorNote error={error} />
      {sets.data.changes.length === 0 ? <p class="muted">No change has been applied yet.</p> : (
        <div class="scroll">
          <table>
            <thead><tr><th scope="col">Change set</th><th scope="col">When</th><th scope="col">Audit</th>
              <th scope="col">Settings</th><th scope="col">State</th>
              <th scope="col"><span class="sr-only">Action</span></th></tr></thead>
            <tbody>
              {sets.data.changes.map((c) => (
                <tr key={c.id} data-change={c.id}>
                  <th scope="row"><code>{c.id}</code></th><td>{when(c.created_at)}</td>
                  <td><a href={`/audits/${encodeURIComponent(c.audit_id)}`}>{c.audit_id}</a></td>
                  <td>{(c.fields || []).map((f) => f.setting).join(', ')}</td>
                  <td><StateBadge state={c.state} /></td>
                  <td>{c.state === 'rolled_back' ? <span class="muted">{when(c.rolled_back_at)}</span> : (
                    <button type="button" class="secondary" disabled={busy === c.id} onClick={() => rollback(c.id)}
                      aria-label={`Roll back change set ${c.id}`}>{busy === c.id ? 'Rolling back…' : 'Roll back'}</button>)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

export function FixesPage({ query }) {
  const audits = useResource(() => getJson('/api/v1/audits?limit=50'), []);
  const [auditId, setAuditId] = useState(query.get('audit') || '');
  const [severity, setSeverity] = useState(query.get('severity') || '');
  const [plan, setPlan] = useState(null);
  const [selected, setSelected] = useState(new Set());
  const [rollbackOnFailure, setRollbackOnFailure] = useState(true);
  const [phase, setPhase] = useState('');  // '' | planning | applying
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    if (!auditId && audits.data?.audits.length) setAuditId(audits.data.audits[0].audit_id);
  }, [audits.data]);  // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => setQuery({ audit: auditId, severity }), [auditId, severity]);

  const path = `/api/v1/audits/${encodeURIComponent(auditId)}/fixes`;
  const preview = async () => {
    setPhase('planning');
    setError(null);
    setResult(null);
    try {
      const body = { dry_run: true };
      if (severity) body.severity = severity;
      const p = await postJson(path, body);
      setPlan(p);
      setSelected(new Set(p.apps.flatMap((a) => a.changes.map((c) => c.rule_id))));
    } catch (e) {
      setError(e);
    } finally {
      setPhase('');
    }
  };
  const apply = async () => {
    setPhase('applying');
    setError(null);
    try {
      setResult(await postJson(path, { rules: [...selected], dry_run: false, rollback_on_failure: rollbackOnFailure }));
      setPlan(null);
      setGeneration((g) => g + 1);
    } catch (e) {
      setError(e);
    } finally {
      setPhase('');
    }
  };

  return (
    <section aria-labelledby="fixes-title">
      <h1 id="fixes-title">Fixes</h1>
      <p class="muted">A dry run shows every change before anything is written. Applying needs the API token
        (<code>AUTOARR_API_TOKEN</code>), on this machine too. Applied changes are kept as a change set that can be
        rolled back.</p>
      {audits.error ? <ErrorNote error={audits.error} /> : !audits.data ? <Loading /> : audits.data.audits.length === 0
        ? <p>No audit yet: run one first.</p> : (
        <form class="filters" onSubmit={(e) => { e.preventDefault(); preview(); }}>
          <div>
            <label for="fix-audit">Audit</label>
            <select id="fix-audit" value={auditId} onChange={(e) => { setAuditId(e.currentTarget.value); setPlan(null); }}>
              {audits.data.audits.map((a) => <option key={a.audit_id} value={a.audit_id}>{when(a.created_at)} · score {a.score} · {a.audit_id}</option>)}
            </select>
          </div>
          <div>
            <label for="fix-severity">At least</label>
            <select id="fix-severity" value={severity} onChange={(e) => { setSeverity(e.currentTarget.value); setPlan(null); }}>
              <option value="">any severity</option>
              {SEVERITIES.map((s) => <option key={s} value={s}>{s}</option>)}
            </select>
          </div>
          <div class="actions"><button type="submit" disabled={phase !== ''}>
            {phase === 'planning' ? 'Preparing…' : 'Preview fixes (dry run)'}</button></div>
        </form>
      )}
      <ErrorNote error={error} />
      {plan && (
        <>
          <h2>Dry run</h2>
          <DryRun plan={plan} selected={selected} setSelected={setSelected} />
          <div class="apply-row">
            <label class="check"><input type="checkbox" checked={rollbackOnFailure}
              onChange={(e) => setRollbackOnFailure(e.currentTarget.checked)} /> Roll everything back if one change fails</label>
            <button type="button" onClick={apply} disabled={phase !== '' || selected.size === 0}>
              {phase === 'applying' ? `Applying ${selected.size} fix${selected.size === 1 ? '' : 'es'}…`
                : `Apply ${selected.size} selected fix${selected.size === 1 ? '' : 'es'}`}</button>
            {phase === 'applying' && <progress aria-label="Applying fixes" />}
          </div>
        </>
      )}
      {result && <Outcome result={result} />}
      <h2>Change sets</h2>
      <ChangeSets generation={generation} />
    </section>
  );
}
