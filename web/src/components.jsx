// Small pieces every page uses.
export function SeverityBadge({ severity }) {
  return <span class={`badge sev-${severity}`}>{severity}</span>;
}

export function StateBadge({ state }) {
  return <span class={`badge state-${String(state).replace(/[^a-z-]/gi, '')}`}>{state}</span>;
}

export function ErrorNote({ error, children }) {
  if (!error && !children) return null;
  return (
    <p class="error" role="alert">
      {children || error.message}
      {error?.code && <span class="code"> ({error.code})</span>}
    </p>
  );
}

export function Loading({ what = 'Loading' }) {
  return <p class="muted" aria-live="polite">{what}…</p>;
}

export function Score({ value }) {
  const level = value >= 80 ? 'good' : value >= 50 ? 'fair' : 'poor';
  return (
    <span class={`score score-${level}`} aria-label={`score ${value} of 100`}>
      {value}<small>/100</small>
    </span>
  );
}
