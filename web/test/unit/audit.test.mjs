// The pages' pure functions: filters, grouping, the diff of two audits, the
// explanations of a streamed audit folded in, the history's series.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyExplained, diffAudits, filterFindings, groupFindings, historySeries } from '../../src/lib/audit.js';

const f = (rule_id, application, severity, extra = {}) => ({ rule_id, application, severity, setting_path: `${rule_id} path`,
  current: 'x', recommended: 'y', rationale: 'because', explanation: null, impact: null, ...extra });
const findings = [
  f('SAB-1', 'sabnzbd', 'low'), f('RAD-1', 'radarr', 'critical', { current: { a: 1 } }), f('SAB-2', 'sabnzbd', 'critical'),
  f('X-1', 'cross-app', 'medium', { rationale: 'Paths differ between SABnzbd and Sonarr' }),
];

test('search matches every word, anywhere in a finding, ignoring case', () => {
  assert.deepEqual(filterFindings(findings, { search: 'sab-2' }).map((x) => x.rule_id), ['SAB-2']);
  assert.deepEqual(filterFindings(findings, { search: 'paths SONARR' }).map((x) => x.rule_id), ['X-1']);
  assert.deepEqual(filterFindings(findings, { search: '"a":1' }).map((x) => x.rule_id), ['RAD-1']);
  assert.deepEqual(filterFindings(findings, { search: 'nothing-like-this' }), []);
});

test('severity and application filters combine with the search', () => {
  const critical = new Set(['critical']);
  assert.deepEqual(filterFindings(findings, { severities: critical }).map((x) => x.rule_id), ['RAD-1', 'SAB-2']);
  assert.deepEqual(filterFindings(findings, { severities: critical, application: 'sabnzbd' }).map((x) => x.rule_id), ['SAB-2']);
  assert.deepEqual(filterFindings(findings, { severities: new Set() }), []);
});

test('groups come in application order, then severity order', () => {
  const groups = groupFindings(findings);
  assert.deepEqual(groups.map((g) => g.application), ['sabnzbd', 'radarr', 'cross-app']);
  assert.deepEqual(groups[0].groups.map((g) => [g.severity, g.findings.map((x) => x.rule_id)]),
    [['critical', ['SAB-2']], ['low', ['SAB-1']]]);
});

test('the diff of two audits: new, fixed, unchanged (and whether the value moved)', () => {
  const before = { score: 40, findings: [f('A', 'sabnzbd', 'high'), f('B', 'sonarr', 'low'), f('C', 'radarr', 'low')] };
  const after = { score: 55, findings: [f('B', 'sonarr', 'low', { current: 'z' }), f('C', 'radarr', 'low'), f('D', 'radarr', 'high')] };
  const d = diffAudits(before, after);
  assert.deepEqual(d.added.map((x) => x.rule_id), ['D']);
  assert.deepEqual(d.fixed.map((x) => x.rule_id), ['A']);
  assert.deepEqual(d.unchanged.map((x) => [x.rule_id, x.changed]), [['B', true], ['C', false]]);
  assert.equal(d.scoreDelta, 15);
  // The same rule id in another application is another finding.
  const other = diffAudits({ score: 0, findings: [f('A', 'sonarr', 'low')] }, { score: 0, findings: [f('A', 'radarr', 'low')] });
  assert.equal(other.added.length, 1);
  assert.equal(other.fixed.length, 1);
});

test('an explained event fills in its findings and the progress, and leaves the others alone', () => {
  const report = { mode: 'rules-only', findings, enrichment: { state: 'running', explained: 0, total: 4 } };
  const next = applyExplained(report, { explained: 2, total: 4, batches_done: 1, batches: 2,
    findings: [{ rule_id: 'RAD-1', explanation: 'E1', impact: 'I1' }, { rule_id: 'SAB-2', explanation: 'E2', impact: 'I2' }] });
  assert.equal(next.mode, 'llm');
  assert.deepEqual(next.findings.map((x) => x.explanation), [null, 'E1', 'E2', null]);
  assert.equal(next.enrichment.explained, 2);
  assert.equal(next.enrichment.state, 'running');
  assert.equal(report.findings[1].explanation, null, 'the previous state was changed in place');
});

test('the history series run oldest first', () => {
  const s = historySeries([
    { created_at: '2026-12-02T10:00:00Z', score: 60, summary: { critical: 0, high: 1, medium: 2, low: 3 } },
    { created_at: '2026-12-01T10:00:00Z', score: 20, summary: { critical: 2, high: 3, medium: 4, low: 5 } },
  ]);
  assert.deepEqual(s.score, [20, 60]);
  assert.deepEqual(s.critical, [2, 0]);
  assert.ok(s.x[0] < s.x[1]);
});
