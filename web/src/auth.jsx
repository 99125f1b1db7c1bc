// The token prompt: shown when the API answers 401 (AUTOARR_API_TOKEN is set
// on the server). The token is checked, then kept for this tab's session.
import { useEffect, useRef, useState } from 'preact/hooks';
import { auth, tryToken } from './lib/api.js';
import { useStore } from './lib/store.js';

export function TokenPrompt({ onAccepted }) {
  const { needed, refused } = useStore(auth);
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const input = useRef(null);
  useEffect(() => {
    if (needed) input.current?.focus();
  }, [needed, refused]);
  if (!needed) return null;
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      if (await tryToken(token.trim())) {
        setToken('');
        onAccepted();
      }
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="overlay">
      <form class="dialog" role="dialog" aria-modal="true" aria-labelledby="token-title" onSubmit={submit}>
        <h2 id="token-title">API token</h2>
        <p>This AutoArr requires its API token (<code>AUTOARR_API_TOKEN</code>). It is kept only for this
          browser tab, until you close it.</p>
        <label for="token">Token</label>
        <input id="token" ref={input} type="password" autocomplete="off" required value={token}
          onInput={(e) => setToken(e.currentTarget.value)} aria-describedby="token-error" />
        <p id="token-error" class="error" role="alert">
          {refused ? 'The server refused this token.' : ''}{error}
        </p>
        <button type="submit" disabled={busy || !token.trim()}>{busy ? 'Checking…' : 'Continue'}</button>
      </form>
    </div>
  );
}
