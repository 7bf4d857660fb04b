//! Twitch's OAuth endpoints on id.twitch.tv: the authorization-code flow, refresh, client credentials, validate and
//! revoke.
//!
//! The `oauth2` crate builds the authorize URL and runs the token grants. Twitch deviates from RFC 6749 in two
//! ways that the crate's standard types reject, so this module supplies its own: the token response's `scope` is a
//! JSON array instead of a space-separated string, and error bodies are `{"status","message"}` instead of
//! `{"error"}`. Validate and revoke are not standard OAuth at all and are plain HTTP calls.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use oauth2::basic::{BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType};
use oauth2::{
    AccessToken, AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    HttpClientError, RedirectUrl, RefreshToken, RequestTokenError, Scope, StandardRevocableToken, TokenUrl,
};
use serde::{Deserialize, Serialize};

use crate::error::TwitchError;
use crate::http::{self, Bucket, Endpoints};
use crate::stats::{ApiStats, NO_ANSWER};

/// A token response as Twitch sends it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TwitchTokenResponse {
    access_token: AccessToken,
    #[serde(default)]
    refresh_token: Option<RefreshToken>,
    #[serde(default)]
    expires_in: Option<u64>,
    /// Twitch sends an array here (absent for app tokens).
    #[serde(default)]
    scope: Option<Vec<Scope>>,
    #[serde(skip, default = "bearer")]
    token_type: BasicTokenType,
}

fn bearer() -> BasicTokenType {
    BasicTokenType::Bearer
}

impl oauth2::TokenResponse for TwitchTokenResponse {
    type TokenType = BasicTokenType;

    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }
    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }
    fn expires_in(&self) -> Option<Duration> {
        self.expires_in.map(Duration::from_secs)
    }
    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }
    fn scopes(&self) -> Option<&Vec<Scope>> {
        self.scope.as_ref()
    }
}

/// An error body as Twitch sends it: `{"status":400,"message":"Invalid authorization code"}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TwitchErrorResponse {
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

impl fmt::Display for TwitchErrorResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.message.as_deref().or(self.error.as_deref()).unwrap_or("no message");
        write!(f, "{text}")
    }
}

impl oauth2::ErrorResponse for TwitchErrorResponse {}

type Client = oauth2::Client<
    TwitchErrorResponse,
    TwitchTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Tokens from a grant. `Debug` never shows the tokens themselves.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// Seconds until the access token expires, as Twitch said.
    pub expires_in: Option<u64>,
    pub scopes: Vec<String>,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"<redacted>")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "<redacted>"))
            .field("expires_in", &self.expires_in)
            .field("scopes", &self.scopes)
            .finish()
    }
}

impl From<TwitchTokenResponse> for TokenSet {
    fn from(r: TwitchTokenResponse) -> Self {
        TokenSet {
            access_token: r.access_token.secret().clone(),
            refresh_token: r.refresh_token.map(|t| t.secret().clone()),
            expires_in: r.expires_in,
            scopes: r.scope.unwrap_or_default().into_iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// What `GET /oauth2/validate` says about a token. `login` and `user_id` are absent for app tokens.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ValidatedToken {
    pub client_id: String,
    #[serde(default)]
    pub login: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    #[serde(default)]
    pub expires_in: u64,
}

/// The OAuth client for one registered Twitch application.
pub struct OAuth {
    client: Client,
    http: reqwest::Client,
    client_id: String,
    oauth_base: String,
    pub(crate) stats: Arc<ApiStats>,
}

impl OAuth {
    /// `redirect_uri` must be exactly the one registered with Twitch.
    pub fn new(
        http: reqwest::Client,
        endpoints: &Endpoints,
        client_id: &str,
        client_secret: &str,
        redirect_uri: &str,
    ) -> Result<Self, TwitchError> {
        let bad = |what: &str, e: url::ParseError| TwitchError::Protocol(format!("bad {what}: {e}"));
        let oauth_base = endpoints.oauth_base.trim_end_matches('/').to_string();
        let client = oauth2::Client::new(ClientId::new(client_id.to_string()))
            .set_client_secret(ClientSecret::new(client_secret.to_string()))
            .set_auth_uri(AuthUrl::new(endpoints.authorize_url.clone()).map_err(|e| bad("authorize URL", e))?)
            .set_token_uri(TokenUrl::new(format!("{oauth_base}/token")).map_err(|e| bad("token URL", e))?)
            .set_redirect_uri(RedirectUrl::new(redirect_uri.to_string()).map_err(|e| bad("redirect URI", e))?)
            // Twitch reads client_id and client_secret from the request parameters, not from HTTP Basic auth.
            .set_auth_type(AuthType::RequestBody);
        Ok(OAuth { client, http, client_id: client_id.to_string(), oauth_base, stats: Arc::default() })
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The URL to send the browser to. `force_verify` makes Twitch ask again even when the app is authorized,
    /// which is what a user expects after signing out.
    pub fn authorize_url(&self, state: &str, scopes: &[&str], force_verify: bool) -> String {
        let state = state.to_string();
        let mut request = self
            .client
            .authorize_url(move || CsrfToken::new(state))
            .add_scopes(scopes.iter().map(|s| Scope::new((*s).to_string())));
        if force_verify {
            request = request.add_extra_param("force_verify", "true");
        }
        request.url().0.to_string()
    }

    /// Exchanges an authorization code for user tokens.
    pub async fn exchange_code(&self, code: &str) -> Result<TokenSet, TwitchError> {
        let result =
            self.client.exchange_code(AuthorizationCode::new(code.to_string())).request_async(&self.http).await;
        self.token_call(result)
    }

    /// Uses a refresh token. Twitch may rotate the refresh token, so the caller must store the new one.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenSet, TwitchError> {
        let result = self
            .client
            .exchange_refresh_token(&RefreshToken::new(refresh_token.to_string()))
            .request_async(&self.http)
            .await;
        self.token_call(result)
    }

    /// Gets an app access token (client credentials). App tokens cannot be refreshed; get a new one instead.
    pub async fn app_token(&self) -> Result<TokenSet, TwitchError> {
        let result = self.client.exchange_client_credentials().request_async(&self.http).await;
        self.token_call(result)
    }

    /// Asks Twitch whether a token is still good. Twitch requires this at start-up and hourly for every session.
    pub async fn validate(&self, access_token: &str) -> Result<ValidatedToken, TwitchError> {
        let body = http::send(
            &self.stats,
            "oauth_validate",
            Bucket::Viewer,
            self.http
                .get(format!("{}/validate", self.oauth_base))
                .header(reqwest::header::AUTHORIZATION, format!("OAuth {access_token}")),
        )
        .await?;
        http::parse(&body, "token validation")
    }

    /// Revokes a token. A token Twitch already considers invalid counts as revoked.
    pub async fn revoke(&self, access_token: &str) -> Result<(), TwitchError> {
        let result = http::send(
            &self.stats,
            "oauth_revoke",
            Bucket::Viewer,
            self.http
                .post(format!("{}/revoke", self.oauth_base))
                .form(&[("client_id", self.client_id.as_str()), ("token", access_token)]),
        )
        .await;
        match result {
            Ok(_) => Ok(()),
            Err(TwitchError::Rejected { status: 400, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Maps the oauth2 crate's error onto ours.
impl OAuth {
    /// Counts a call to the token endpoint (made by the `oauth2` crate, so its raw answer is not seen here) by
    /// the status its outcome implies, and converts the outcome.
    fn token_call(&self, result: Result<TwitchTokenResponse, TokenRequestError>) -> Result<TokenSet, TwitchError> {
        let status = match &result {
            Ok(_) => 200,
            // Twitch's error bodies carry the HTTP status.
            Err(RequestTokenError::ServerResponse(body)) => body.status.unwrap_or(400),
            Err(_) => NO_ANSWER,
        };
        self.stats.record("oauth_token", status);
        result.map(TokenSet::from).map_err(token_error)
    }
}

type TokenRequestError = RequestTokenError<HttpClientError<reqwest::Error>, TwitchErrorResponse>;

fn token_error(err: TokenRequestError) -> TwitchError {
    match err {
        RequestTokenError::ServerResponse(body) => {
            let status = body.status.unwrap_or(400);
            let message = body.to_string();
            match status {
                500..=599 => TwitchError::Unavailable(format!("HTTP {status}: {message}")),
                429 => TwitchError::RateLimited { reset: None, bucket_empty: false },
                _ => TwitchError::Rejected { status, message },
            }
        }
        RequestTokenError::Request(HttpClientError::Reqwest(e)) => TwitchError::from_transport(&e),
        RequestTokenError::Request(other) => TwitchError::Unavailable(other.to_string()),
        RequestTokenError::Parse(e, _) => TwitchError::Protocol(format!("token response: {e}")),
        RequestTokenError::Other(text) => TwitchError::Unavailable(text),
    }
}
