// A stored audit by id, or "latest" (null when there is none yet).
import { getJson } from './api.js';

export async function fetchAudit(id) {
  if (id !== 'latest') return getJson(`/api/v1/audits/${encodeURIComponent(id)}`);
  const { audits } = await getJson('/api/v1/audits?limit=1');
  return audits.length ? getJson(`/api/v1/audits/${encodeURIComponent(audits[0].audit_id)}`) : null;
}
