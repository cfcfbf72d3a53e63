"""OAuth for a server-to-server connection: the JWT bearer flow (a certificate uploaded to
the connected app signs a short-lived assertion for the integration user) or the client
credentials flow (the connected app's run-as user). Blocking (requests): run it in a thread."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt
import requests
from simple_salesforce.api import Salesforce

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# Salesforce accepts an assertion for at most 3 minutes after it is made.
ASSERTION_SECONDS = 180
TOKEN_PATH = "/services/oauth2/token"


class SalesforceAuthFailed(Exception):
    """The token endpoint refused the credentials: retrying will not help, fixing them will."""


@dataclass(frozen=True, slots=True)
class Credentials:
    auth_flow: str  # jwt_bearer | client_credentials
    login_url: str
    consumer_key: str
    username: str | None = None
    private_key: str | None = None
    client_secret: str | None = None


@dataclass(frozen=True, slots=True)
class AccessToken:
    access_token: str
    instance_url: str


def fetch_token(credentials: Credentials, http: requests.Session, *, timeout: float) -> AccessToken:
    """A fresh access token; SalesforceAuthFailed when refused, requests errors when the
    endpoint cannot be reached (worth retrying)."""
    url = credentials.login_url.rstrip("/") + TOKEN_PATH
    response = http.post(url, data=_grant(credentials), timeout=timeout)
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or "access_token" not in body:
        if response.status_code >= 500:
            response.raise_for_status()  # the endpoint is down: retry later
        error = body.get("error", f"HTTP {response.status_code}")
        description = body.get("error_description", "no description")
        raise SalesforceAuthFailed(
            f"Salesforce refused the {credentials.auth_flow} login: {error} ({description})"
        )
    return AccessToken(str(body["access_token"]), str(body["instance_url"]))


def client_for(token: AccessToken, http: requests.Session, version: str) -> Salesforce:
    """A client on an access token, never on a password: simple-salesforce cannot then
    re-login and recurse on a persistent 401 (it raises SalesforceExpiredSession)."""
    return Salesforce(
        instance_url=token.instance_url,
        session_id=token.access_token,
        session=http,
        version=version,
    )


def _grant(credentials: Credentials) -> dict[str, str]:
    if credentials.auth_flow == "jwt_bearer":
        if not credentials.username or not credentials.private_key:
            raise SalesforceAuthFailed("the JWT bearer flow needs a username and a private key")
        claims = {
            "iss": credentials.consumer_key,
            "sub": credentials.username,
            "aud": credentials.login_url.rstrip("/"),
            "exp": int(time.time()) + ASSERTION_SECONDS,
        }
        try:
            assertion = jwt.encode(claims, credentials.private_key, algorithm="RS256")
        except (ValueError, TypeError) as exc:
            raise SalesforceAuthFailed(f"the private key cannot sign: {exc}") from exc
        return {"grant_type": JWT_BEARER_GRANT, "assertion": assertion}
    if not credentials.client_secret:
        raise SalesforceAuthFailed("the client credentials flow needs a client secret")
    return {
        "grant_type": "client_credentials",
        "client_id": credentials.consumer_key,
        "client_secret": credentials.client_secret,
    }
