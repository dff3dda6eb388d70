// Signing in through an OIDC provider: the authorization code flow with PKCE (S256) and a random state, for a
// public client. The access token is kept for this tab only (sessionStorage), where an API key would be.

const PENDING = "autbot.sso-pending"; // {state, verifier} between leaving for the provider and coming back

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

function randomString() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

async function challengeOf(verifier) {
  return base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
}

function redirectUri() {
  return `${location.origin}/`;
}

/** How this server signs in (issuer, client_id, scope), or null where no provider is configured. */
export async function signInConfig() {
  const response = await fetch("/auth/web-client.json", { cache: "no-store" });
  return response.ok ? response.json() : null;
}

async function discover(config) {
  const response = await fetch(`${config.issuer}/.well-known/openid-configuration`, { cache: "no-store" });
  if (!response.ok) throw new Error(`the identity provider answered ${response.status}`);
  return response.json();
}

/** Leave for the provider's login page. */
export async function signIn(config) {
  const { authorization_endpoint: endpoint } = await discover(config);
  const pending = { state: randomString(), verifier: randomString() };
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  const url = new URL(endpoint);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: config.client_id,
    redirect_uri: redirectUri(),
    scope: config.scope,
    state: pending.state,
    code_challenge: await challengeOf(pending.verifier),
    code_challenge_method: "S256",
  }).toString();
  location.assign(url.toString());
}

/** Back from the provider (``?code=…&state=…`` on this page): the access token, or null when this page was not
 * opened by a sign-in. A state that does not match the one sent is refused. */
export async function completeSignIn(config) {
  const params = new URLSearchParams(location.search);
  if (!params.has("code") && !params.has("error")) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? "null");
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, "", location.pathname); // the code is used once, and never left in the address
  if (params.has("error")) throw new Error(`sign-in failed: ${params.get("error")}`);
  if (!pending || params.get("state") !== pending.state) throw new Error("sign-in failed: the state does not match");
  const { token_endpoint: endpoint } = await discover(config);
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: params.get("code"),
      redirect_uri: redirectUri(),
      client_id: config.client_id,
      code_verifier: pending.verifier,
    }),
  });
  if (!response.ok) throw new Error(`sign-in failed: the token endpoint answered ${response.status}`);
  return (await response.json()).access_token;
}
