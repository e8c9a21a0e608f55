// The console's shell: sign-in (embedded mode), a home per role, hash routes, and the pages of each
// role. Everything it shows comes from the public HTTP API with the signed-in person's token.
import { render } from './vendor/preact.mjs';
import { useEffect, useState } from './vendor/hooks.mjs';
import {
  html,
  api,
  ApiError,
  storedToken,
  storeToken,
  claimsOf,
  roleLabels,
  funderLabel,
  focusHeading,
  endedSession,
  endSession,
  expired,
  forgetEndedSession,
  identityOf,
  dateTime,
} from './lib.js';
import { QueuePage, ApplicationPage, SubmitPage, CampaignsPanel, usePorteurProfile } from './pages.js';
import { DashboardPage } from './dashboard.js';
import { AuditPage } from './audit.js';

// The demo users' claims match what `grants seed demo` creates (services/demo/demoCampaign.ts): the
// porteur is its first association, `asso-sambre-avenir`, which gets an application at each run;
// the funders are among the demo campaign's. Keep them in step with that file.
const demoUsers = [
  { key: 'grant_manager', label: 'Chargé de mission (agglomération)', body: { role: 'grant_manager' } },
  {
    key: 'porteur',
    label: 'Porteur de projet — Sambre Avenir (asso-sambre-avenir)',
    body: { role: 'porteur', porteurId: 'asso-sambre-avenir' },
  },
  { key: 'funder-ETAT', label: 'Financeur — État', body: { role: 'funder', institution: 'ETAT' } },
  { key: 'funder-REGION', label: 'Financeur — Région', body: { role: 'funder', institution: 'REGION' } },
  {
    key: 'funder-EPCI',
    label: 'Financeur — Intercommunalité (EPCI)',
    body: { role: 'funder', institution: 'EPCI' },
  },
  { key: 'funder-CAF', label: 'Financeur — CAF', body: { role: 'funder', institution: 'CAF' } },
  { key: 'citizen_council', label: 'Conseil citoyen', body: { role: 'citizen_council' } },
  { key: 'evaluator', label: 'Évaluateur', body: { role: 'evaluator' } },
  { key: 'auditor', label: 'Auditeur', body: { role: 'auditor' } },
];

function useHashRoute() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    addEventListener('hashchange', onChange);
    // The hash may have changed between the first render and now (effects run after the paint): a
    // link followed at once after the sign-in showed the queue under « #/campagnes ».
    onChange();
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return hash.replace(/^#/, '') || '/';
}

function SignIn({ onSignedIn }) {
  // Why the person is here again: the session ended (the API refused the token).
  const ended = endedSession();
  const [config, setConfig] = useState(/** @type {{ devLogin: boolean } | null} */ (null));
  useEffect(() => {
    document.title = `Connexion — ${consoleName}`;
  }, []);
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const [pasted, setPasted] = useState('');
  useEffect(() => {
    fetch('./config.json')
      .then((r) => r.json())
      .then(setConfig, () => setConfig({ devLogin: false }));
  }, []);
  const pick = async (event) => {
    event.preventDefault();
    const key = new FormData(event.currentTarget).get('user');
    const user = demoUsers.find((u) => u.key === key);
    if (!user) return;
    try {
      const res = await fetch('./dev-login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(user.body),
      });
      const data = await res.json();
      if (!res.ok) throw new Error(data.detail ?? 'Connexion refusée.');
      onSignedIn(data.token);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const usePasted = (event) => {
    event.preventDefault();
    const token = pasted.trim();
    const claims = claimsOf(token);
    if (!claims) setError('Ce jeton n’est pas un JWT lisible.');
    // Not « your session expired »: there was none. The API is not asked.
    else if (expired(token))
      setError(
        `Ce jeton a expiré${typeof claims.exp === 'number' ? ` le ${dateTime(claims.exp * 1000)}` : ''} : demandez-en un nouveau.`,
      );
    else onSignedIn(token);
  };
  return html`<main id="main" class="signin">
    <h1>Console des subventions — politique de la ville</h1>
    ${ended ? html`<p class="warning" role="status" data-testid="session-ended">${ended.reason}</p>` : null}
    ${
      config?.devLogin
        ? html`<form onSubmit=${pick} aria-labelledby="signin-title">
            <h2 id="signin-title">Se connecter comme utilisateur de démonstration</h2>
            <fieldset>
              <legend>Qui êtes-vous ?</legend>
              ${demoUsers.map(
                (u, i) =>
                  html`<div class="radio">
                    <input type="radio" id=${`user-${u.key}`} name="user" value=${u.key} checked=${i === 0} />
                    <label for=${`user-${u.key}`}>${u.label}</label>
                  </div>`,
              )}
            </fieldset>
            <button type="submit" class="primary">Se connecter</button>
          </form>`
        : null
    }
    <form onSubmit=${usePasted} class="paste">
      <h2>Ou coller un jeton</h2>
      <div class="field">
        <label for="pasted-token">Jeton d’accès (JWT)</label>
        <textarea
          id="pasted-token"
          rows="3"
          value=${pasted}
          onInput=${(e) => setPasted(e.currentTarget.value)}
        ></textarea>
      </div>
      <button type="submit">Utiliser ce jeton</button>
    </form>
    ${error ? html`<p class="refusal" role="alert">${error}</p>` : null}
  </main>`;
}

const navOf = (role) => {
  switch (role) {
    case 'grant_manager':
      return [
        ['#/', 'File d’attente'],
        ['#/campagnes', 'Campagnes'],
        ['#/audit', 'Historique'],
      ];
    case 'porteur':
      return [
        ['#/', 'Mes candidatures'],
        ['#/depot', 'Déposer une candidature'],
      ];
    case 'funder':
    case 'citizen_council':
      return [['#/', 'À traiter']];
    case 'evaluator':
      return [['#/', 'Tableau de bord']];
    case 'auditor':
      return [['#/', 'Audit']];
    default:
      return [];
  }
};

const consoleName = 'Console des subventions';

/**
 * The tab's title follows the page (its root's `data-page-title`, else its main heading), and when
 * a page's heading appears — a new route, the sign-in done, a page whose data arrived — with the
 * focus nowhere (on the body: the link or form that had it is gone), the focus goes to it.
 * @param {string} route
 */
function usePageHeading(route) {
  useEffect(() => {
    const main = document.getElementById('main');
    if (!main) return undefined;
    /** @type {Element | null} */
    let seen = null;
    const sync = () => {
      const heading = main.querySelector('h1');
      if (!heading) return;
      const named = heading.closest('[data-page-title]')?.getAttribute('data-page-title');
      const title = `${named || heading.textContent?.trim() || 'Accueil'} — ${consoleName}`;
      if (document.title !== title) document.title = title;
      if (heading === seen) return;
      seen = heading;
      const active = document.activeElement;
      // The link just followed (navigation, a row of a list) keeps no meaning on the new page.
      const followed =
        active instanceof HTMLAnchorElement && (active.getAttribute('href') ?? '').startsWith('#/');
      if (active === null || active === document.body || active === main || followed) focusHeading();
    };
    sync();
    const observer = new MutationObserver(sync);
    observer.observe(main, { childList: true, subtree: true, characterData: true });
    return () => observer.disconnect();
  }, [route]);
}

function Shell({ token, onSignOut }) {
  const route = useHashRoute();
  usePageHeading(route);
  const principal = claimsOf(token);
  const [campaigns, setCampaigns] = useState(/** @type {any[] | null} */ (null));
  // Why the list could not be had: said, with a way to ask again, rather than shown as « no
  // campaign » (the evaluator's « Aucune campagne pour l’instant », the porteur's « Aucune campagne
  // n’est ouverte au dépôt »).
  const [campaignsError, setCampaignsError] = useState(/** @type {string | null} */ (null));
  /** Reloads the campaigns list and gives its items. */
  const reloadCampaigns = () =>
    api('GET', '/api/campaigns').then((r) => {
      setCampaigns(r.items);
      setCampaignsError(null);
      return r.items;
    });
  const loadCampaigns = () =>
    reloadCampaigns().catch((e) =>
      setCampaignsError(
        e instanceof ApiError ? e.message : 'la plateforme n’a pas répondu (connexion interrompue).',
      ),
    );
  useEffect(() => {
    loadCampaigns();
  }, [token]);
  // A porteur is named by its organisation (its latest dossier's), the identifier until one is known.
  const porteur = usePorteurProfile(principal);
  if (!principal) return html`<p>Jeton illisible.</p>`;
  const who = [
    roleLabels[principal.role] ?? principal.role,
    principal.institution ? funderLabel(principal.institution) : null,
    principal.porteurId ? (porteur.profile?.porteur?.name ?? principal.name ?? principal.porteurId) : null,
  ]
    .filter(Boolean)
    .join(' — ');
  const nav = navOf(principal.role);
  let page;
  const appMatch = route.match(/^\/candidatures\/([0-9A-Za-z]+)$/);
  const auditMatch = route.match(/^\/audit(?:\/([0-9A-Za-z]+))?$/);
  if (appMatch) page = html`<${ApplicationPage} id=${appMatch[1]} principal=${principal} />`;
  else if (route === '/depot' && principal.role === 'porteur')
    page = html`<${SubmitPage}
      principal=${principal}
      campaigns=${campaigns}
      latest=${porteur.profile}
      onSubmitted=${porteur.reload}
    />`;
  else if (route === '/campagnes' && principal.role === 'grant_manager')
    page = html`<${CampaignsPanel} campaigns=${campaigns} reload=${reloadCampaigns} />`;
  else if (auditMatch && (principal.role === 'auditor' || principal.role === 'grant_manager'))
    page = html`<${AuditPage} principal=${principal} id=${auditMatch[1]} />`;
  else if (principal.role === 'evaluator') page = html`<${DashboardPage} campaigns=${campaigns} />`;
  else if (principal.role === 'auditor') page = html`<${AuditPage} principal=${principal} />`;
  else page = html`<${QueuePage} principal=${principal} />`;
  return html`
    <a
      class="skip"
      href="#main"
      onClick=${(e) => {
        e.preventDefault();
        document.getElementById('main')?.focus();
      }}
      >Aller au contenu</a
    >
    <header class="top">
      <p class="brand">Subventions — politique de la ville</p>
      <nav aria-label="Navigation principale">
        <ul>
          ${nav.map(([href, label]) => html`<li><a href=${href} aria-current=${location.hash === href || (href === '#/' && !location.hash) ? 'page' : undefined}>${label}</a></li>`)}
        </ul>
      </nav>
      <div class="account">
        <p class="who">
          Connecté : <strong data-testid="who" title=${principal.porteurId ?? undefined}>${who}</strong>
        </p>
        <button type="button" class="signout" onClick=${onSignOut}>Se déconnecter</button>
      </div>
    </header>
    <main id="main" tabindex="-1">
      ${
        campaignsError === null
          ? null
          : html`<div class="refusal" role="alert" data-testid="campaigns-error">
              <p>La liste des campagnes n’a pas pu être chargée : ${campaignsError}</p>
              <button type="button" onClick=${() => loadCampaigns()}>Réessayer</button>
            </div>`
      }
      ${page}
    </main>
  `;
}

function App() {
  const [token, setToken] = useState(storedToken());
  useEffect(() => {
    const onEnded = () => setToken(null);
    addEventListener('grants-session-ended', onEnded);
    return () => removeEventListener('grants-session-ended', onEnded);
  }, []);
  // A token already past its `exp` (the tab left open overnight): no request made with it.
  useEffect(() => {
    if (token && expired(token)) endSession();
  }, [token]);
  if (!token || expired(token))
    return html`<${SignIn}
      onSignedIn=${(t) => {
        // The same person back after their session ended: the page they were on reopens.
        const ended = endedSession();
        forgetEndedSession();
        storeToken(t);
        location.hash = ended && ended.identity === identityOf(claimsOf(t)) && ended.hash ? ended.hash : '#/';
        setToken(t);
      }}
    />`;
  return html`<${Shell}
    token=${token}
    onSignOut=${() => {
      forgetEndedSession();
      storeToken(null);
      setToken(null);
    }}
  />`;
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(html`<${App} />`, root);
}
