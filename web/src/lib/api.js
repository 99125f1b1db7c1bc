// Every call to the host's API. With AUTOARR_API_TOKEN set on the server, the
// token the user typed is kept in sessionStorage (this tab, until it closes)
// and sent as "Authorization: Bearer": never in a URL, never logged. A 401
// opens the token prompt (auth.needed). Bodies are JSON with the Content-Type
// the API requires; errors come back as ApiError with the API's code and message.
import { createStore } from './store.js';

const TOKEN_KEY = 'autoarr.api-token';

export const auth = createStore({ needed: false, refused: false });

export function savedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

export function saveToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function errorOf(response) {
  let code = `http_${response.status}`;
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body?.error?.message) {
      code = body.error.code || code;
      message = body.error.message;
    }
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(response.status, code, message);
}

// fetch() with the token and JSON body; resolves to the Response when ok.
export async function api(path, { method = 'GET', body, accept, signal, token = savedToken() } = {}) {
  const headers = { Accept: accept || 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
    cache: 'no-store',
    credentials: 'same-origin',
  });
  if (response.ok) return response;
  const error = await errorOf(response);
  if (response.status === 401) auth.set({ needed: true, refused: Boolean(token) });
  throw error;
}

export async function getJson(path, options) {
  return (await api(path, options)).json();
}

export async function postJson(path, body, options = {}) {
  return (await api(path, { ...options, method: 'POST', body })).json();
}

// Checks a token against the server before keeping it: true when accepted.
export async function tryToken(token) {
  try {
    await api('/api/v1/audits?limit=1', { token });
    saveToken(token);
    auth.set({ needed: false, refused: false });
    return true;
  } catch (e) {
    if (e.status === 401) {
      auth.set({ needed: true, refused: true });
      return false;
    }
    throw e;
  }
}
