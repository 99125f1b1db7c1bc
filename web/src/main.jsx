// AutoArr's dashboard: the shell (header, navigation, token prompt) and the
// views, one per path (docs/ui.md).
import { render } from 'preact';
import { useState } from 'preact/hooks';
import './styles.css';
import { TokenPrompt } from './auth.jsx';
import { interceptLinks, match, useLocation } from './lib/router.js';
import { AuditPage } from './pages/audit.jsx';
import { ChatPage } from './pages/chat.jsx';
import { FixesPage } from './pages/fixes.jsx';
import { HistoryPage } from './pages/history.jsx';
import { OverviewPage } from './pages/overview.jsx';
import { ProvidersPage } from './pages/providers.jsx';

const NAV = [
  ['/', 'Overview'],
  ['/audits/latest', 'Audit'],
  ['/history', 'History'],
  ['/fixes', 'Fixes'],
  ['/providers', 'Providers'],
  ['/chat', 'Chat'],
];

function view(path, query) {
  if (path === '/' || path === '') return <OverviewPage />;
  if (path === '/history') return <HistoryPage query={query} />;
  if (path === '/providers') return <ProvidersPage />;
  if (path === '/fixes') return <FixesPage query={query} />;
  if (path === '/chat') return <ChatPage />;
  const audit = match('/audits/:id', path);
  if (audit) return <AuditPage id={audit.id} query={query} />;
  return (
    <section>
      <h1>Not found</h1>
      <p>There is no view at <code>{path}</code>. <a href="/">Go to the overview</a>.</p>
    </section>
  );
}

function current(path, href) {
  if (href === '/') return path === '/';
  if (href === '/audits/latest') return path.startsWith('/audits/');
  return path === href;
}

function App() {
  const { path, query } = useLocation();
  const [generation, setGeneration] = useState(0);  // a new token: every view loads again
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <a class="brand" href="/">AutoArr</a>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([href, label]) => (
              <li key={href}>
                <a href={href} aria-current={current(path, href) ? 'page' : undefined}>{label}</a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1} key={generation}>{view(path, query)}</main>
      <TokenPrompt onAccepted={() => setGeneration((g) => g + 1)} />
    </>
  );
}

interceptLinks();
render(<App />, document.getElementById('app'));
