// What the pages compute from audits (the report JSON of docs/audit.md):
// grouping, filtering, the difference between two audits, and folding the
// explanations of a streamed audit in. Pure functions, unit-tested.

export const SEVERITIES = ['critical', 'high', 'medium', 'low'];
export const APPLICATIONS = ['sabnzbd', 'sonarr', 'radarr', 'cross-app'];

const TITLES = { sabnzbd: 'SABnzbd', sonarr: 'Sonarr', radarr: 'Radarr', 'cross-app': 'Across applications' };
export const appTitle = (app) => TITLES[app] || app;

const rank = (list, v) => {
  const i = list.indexOf(v);
  return i < 0 ? list.length : i;
};

// A finding's current value as text (objects and arrays as JSON).
export function valueText(v) {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

// {search, severities: Set, application: '' | app}: the findings that pass, in their order.
export function filterFindings(findings, { search = '', severities, application = '' } = {}) {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  return findings.filter((f) => {
    if (severities && !severities.has(f.severity)) return false;
    if (application && f.application !== application) return false;
    if (!words.length) return true;
    const text = [f.rule_id, f.setting_path, valueText(f.current), f.recommended, f.rationale, f.explanation, f.impact,
      f.category, appTitle(f.application)].join(' ').toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

// [{application, groups: [{severity, findings}]}], applications and severities in their fixed order.
export function groupFindings(findings) {
  const byApp = new Map();
  for (const f of findings) {
    if (!byApp.has(f.application)) byApp.set(f.application, new Map());
    const bySev = byApp.get(f.application);
    if (!bySev.has(f.severity)) bySev.set(f.severity, []);
    bySev.get(f.severity).push(f);
  }
  return [...byApp.entries()]
    .sort(([a], [b]) => rank(APPLICATIONS, a) - rank(APPLICATIONS, b))
    .map(([application, bySev]) => ({
      application,
      groups: [...bySev.entries()]
        .sort(([a], [b]) => rank(SEVERITIES, a) - rank(SEVERITIES, b))
        .map(([severity, list]) => ({ severity, findings: list })),
    }));
}

// {application: n} over the findings, every application present.
export function countByApplication(findings) {
  const counts = Object.fromEntries(APPLICATIONS.map((a) => [a, 0]));
  for (const f of findings) counts[f.application] = (counts[f.application] || 0) + 1;
  return counts;
}

const key = (f) => `${f.application}\u0000${f.rule_id}`;

// What changed from audit `before` to audit `after`: findings that are new,
// fixed (gone) and unchanged (in both; `changed` when the current value moved).
export function diffAudits(before, after) {
  const old = new Map(before.findings.map((f) => [key(f), f]));
  const now = new Map(after.findings.map((f) => [key(f), f]));
  const added = after.findings.filter((f) => !old.has(key(f)));
  const fixed = before.findings.filter((f) => !now.has(key(f)));
  const unchanged = after.findings
    .filter((f) => old.has(key(f)))
    .map((f) => ({ ...f, changed: valueText(old.get(key(f)).current) !== valueText(f.current),
      before: old.get(key(f)).current }));
  return { added, fixed, unchanged, scoreDelta: after.score - before.score };
}

// The audit after one `explained` event of the streamed POST /api/v1/audits:
// each listed finding gets its explanation and impact, the progress counts move.
export function applyExplained(report, event) {
  const byId = new Map(event.findings.map((f) => [f.rule_id, f]));
  return {
    ...report,
    mode: 'llm',
    findings: report.findings.map((f) => (byId.has(f.rule_id)
      ? { ...f, explanation: byId.get(f.rule_id).explanation, impact: byId.get(f.rule_id).impact }
      : f)),
    enrichment: { ...report.enrichment, explained: event.explained, total: event.total,
      batches_done: event.batches_done, batches: event.batches },
  };
}

// The history's series, oldest first: x in seconds, score, and findings per severity.
export function historySeries(audits) {
  const sorted = [...audits].sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
  return {
    x: sorted.map((a) => Date.parse(a.created_at) / 1000),
    score: sorted.map((a) => a.score),
    ...Object.fromEntries(SEVERITIES.map((s) => [s, sorted.map((a) => a.summary?.[s] ?? 0)])),
  };
}
