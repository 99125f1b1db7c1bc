// Paths are the app's views (/audits/latest, /history, ...): the server
// answers each with this app, so a link can be shared and a reload keeps the
// view. Same-origin link clicks change the path without a reload.
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set();

function current() {
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

export function navigate(to, { replace = false } = {}) {
  if (to === location.pathname + location.search) return;
  history[replace ? 'replaceState' : 'pushState'](null, '', to);
  for (const l of listeners) l(current());
}

// Rewrites the query of the current view (filters, selections) without a new history entry.
export function setQuery(params) {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') q.delete(k);
    else q.set(k, v);
  }
  const s = q.toString();
  history.replaceState(null, '', location.pathname + (s ? `?${s}` : ''));
}

export function useLocation() {
  const [loc, setLoc] = useState(current());
  useEffect(() => {
    const on = () => setLoc(current());
    listeners.add(setLoc);
    addEventListener('popstate', on);
    return () => {
      listeners.delete(setLoc);
      removeEventListener('popstate', on);
    };
  }, []);
  return loc;
}

// One listener for the whole document: plain left clicks on same-origin links.
export function interceptLinks() {
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = e.target.closest?.('a[href]');
    if (!a || a.target || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
    e.preventDefault();
    navigate(url.pathname + url.search);
    document.getElementById('main')?.focus();
  });
}

// Matches "/audits/:id" against a path: the parameters, or null.
export function match(pattern, path) {
  const p = pattern.split('/');
  const s = path.split('/');
  if (p.length !== s.length) return null;
  const params = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) params[p[i].slice(1)] = decodeURIComponent(s[i]);
    else if (p[i] !== s[i]) return null;
  }
  return params;
}
