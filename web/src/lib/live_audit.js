// The audit being run from this tab: POST /api/v1/audits with
// Accept: text/event-stream (docs/api.md). The rules-only audit arrives at
// once (event: audit), then one event per explained batch, then the result.
// It lives outside the pages, so moving between views does not stop it;
// closing the tab does (the server then stores what was explained, as partial).
import { api, getJson } from './api.js';
import { applyExplained } from './audit.js';
import { readSse } from './sse.js';
import { createStore } from './store.js';

export const liveAudit = createStore({ running: false, stage: '', report: null, error: null });

// Starts an audit of the server's preferred source; resolves with the new
// audit's id as soon as the rules-only audit arrives.
export function runAudit() {
  return new Promise((resolve, reject) => {
    if (liveAudit.get().running) return reject(new Error('an audit is already running'));
    liveAudit.set({ running: true, stage: 'starting', report: null, error: null });
    let announced = false;
    const fail = (error) => {
      liveAudit.set({ running: false, error });
      if (!announced) reject(error);
    };
    (async () => {
      const { sources } = await getJson('/api/v1/sources');
      if (!sources.length) throw new Error('this server has nothing to audit: configure SABNZBD_URL, SONARR_URL or RADARR_URL');
      const response = await api('/api/v1/audits', { method: 'POST', body: { source: sources[0].id },
        accept: 'text/event-stream' });
      for await (const { event, data } of readSse(response)) {
        const { report } = liveAudit.get();
        if (event === 'progress') liveAudit.set({ stage: data.stage });
        else if (event === 'audit') {
          liveAudit.set({ report: data, stage: data.enrichment?.state === 'running' ? 'explaining' : 'done' });
          announced = true;
          resolve(data.audit_id);
        } else if (event === 'explained' && report) liveAudit.set({ report: applyExplained(report, data) });
        else if (event === 'result') liveAudit.set({ report: data, stage: 'done' });
        else if (event === 'error') throw new Error(data.error?.message || 'the audit failed');
      }
      liveAudit.set({ running: false });
    })().catch(fail);
  });
}
