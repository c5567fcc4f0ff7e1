"""The SPARQL 1.1 Protocol client behind an endpoint store, and the engines' departures from the protocol.

Tested against `oxigraph serve` and Virtuoso 7 (tests/cli/test_engines.py). Virtuoso's ways, handled here:
- updates need a user with the SPARQL_UPDATE role at /sparql-auth, which asks for HTTP Digest auth: the
  client answers whichever challenge (Basic or Digest) the server sends for the URL's `user:password@`;
- an ASK comes back as a one-column table (`__ASK_RETVAL`, one row when true, none when false);
- before 7.2.12 (Debian 12 ships 7.2.5) it writes xsd:double values in every result format with 6 significant
  digits (C's "%lg"), Turtle aside, which writes them as decimals: no answer keeps both value and type. The
  values are stored exactly, but read back rounded; the client says so once (`rounded_doubles`);
- an answer longer than its [SPARQL] ResultSetMaxRows (10,000 by default) is cut there without an error,
  and a query past MaxQueryExecutionTime returns what it found so far ("anytime" answers). Both would
  read as a smaller catalog, so both are refused with the setting to raise.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Generator
from urllib.parse import urlsplit, urlunsplit

import httpx
from rdflib import Graph
from rdflib.query import Result

from whytag.errors import StoreError
from whytag.kg.namespaces import PREFIXES
from whytag.kg.queries import query

LOG = logging.getLogger("whytag")
VIRTUOSO_ASK = "__ASK_RETVAL"
PROBE_DOUBLE = 0.12345678901234566
PROBE = query("double-probe", value=PROBE_DOUBLE)
ANYTIME_STATES = {"S1TAT"}  # Virtuoso's X-SQL-State when a query ran out of time and answered in part


class Endpoint:
    """A SPARQL 1.1 Protocol client on httpx: a timeout per request, retries when the connection is lost
    or refused, basic or digest auth from the URL's `user:password@` or a bearer token, one-line errors
    naming the URL."""

    ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9, text/turtle;q=0.8"

    def __init__(self, query_url: str, update_url: str, timeout: float, retries: int, token: str | None):
        self.query_url, query_auth = _split_credentials(query_url)
        self.update_url, update_auth = _split_credentials(update_url)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(timeout=timeout, headers=headers, transport=httpx.HTTPTransport(retries=retries))
        self.auth = {self.query_url: query_auth, self.update_url: update_auth or query_auth}
        self.rounded_doubles: bool | None = None  # does the server round xsd:double values it sends? (None: not asked)

    def query(self, text: str) -> Result:
        """POST a query (form-encoded); SELECT/ASK come back as SPARQL JSON, CONSTRUCT/DESCRIBE as RDF."""
        response = self._post(self.query_url, data={"query": text}, headers={"Accept": self.ACCEPT})
        if self.rounded_doubles is None:
            self.rounded_doubles = self._rounds_doubles(response.headers.get("server", ""))
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        if media_type in ("application/sparql-results+json", "application/json"):
            return _solutions(response, self.query_url)
        result = Result("CONSTRUCT")
        result.graph = Graph().parse(data=response.content,
                                     format="nt" if media_type == "application/n-triples" else "turtle")
        for prefix, namespace in PREFIXES.items():
            result.graph.bind(prefix, namespace)
        return result

    def open_query(self, text: str) -> httpx.Response:
        """POST a query and return the response with its body unread, to be parsed as it arrives (kg.answers; the
        checks of `query` are not made on it)."""
        return self._post(self.query_url, stream=True, data={"query": text}, headers={"Accept": self.ACCEPT})

    def _rounds_doubles(self, server: str) -> bool:
        """Whether a Virtuoso server sends doubles rounded (see the module's note); said once, on stderr."""
        if not server.startswith("Virtuoso/"):
            return False
        answer = json.loads(self._post(self.query_url, data={"query": PROBE},
                                       headers={"Accept": "application/sparql-results+json"}).content)
        sent = float(answer["results"]["bindings"][0]["x"]["value"])
        if sent != PROBE_DOUBLE:
            LOG.warning(f"{self.query_url}: {server.split()[0]} sends xsd:double values with 6 significant digits "
                        f"({PROBE_DOUBLE!r} as {sent!r}; Virtuoso fixed it in 7.2.12): values read from it, and its "
                        "exports, are rounded so")
        return sent != PROBE_DOUBLE

    def update(self, text: str) -> None:
        """POST an update (the protocol's direct POST); the server applies it atomically."""
        self._post(self.update_url, content=text.encode("utf-8"),
                   headers={"Content-Type": "application/sparql-update; charset=utf-8"})

    def close(self) -> None:
        self.http.close()

    def _post(self, url: str, stream: bool = False, **request) -> httpx.Response:
        try:
            response = self.http.send(self.http.build_request("POST", url, **request), stream=stream,
                                      auth=self.auth[url] or httpx.USE_CLIENT_DEFAULT)
            if stream and response.status_code >= 400:
                response.read()  # the error's text, for the message below
        except httpx.TimeoutException:
            raise StoreError(f"{url}: no answer within {self.http.timeout.read:g} s") from None
        except httpx.TransportError as err:
            raise StoreError(f"{url}: cannot reach the endpoint ({err or type(err).__name__})") from None
        if response.status_code >= 400:
            response.close()
            detail = response.text.strip().splitlines()
            raise StoreError(f"{url}: HTTP {response.status_code}: {detail[0] if detail else response.reason_phrase}")
        if response.headers.get("x-sql-state") in ANYTIME_STATES:
            raise StoreError(f"{url}: the query ran out of time on the server and its answer is partial "
                             f"({response.headers.get('x-sql-message', 'anytime query')}); raise Virtuoso's "
                             "[SPARQL] MaxQueryExecutionTime")
        return response


def _solutions(response: httpx.Response, url: str) -> Result:
    """A SPARQL JSON answer as an rdflib Result; Virtuoso's ASK table read as the boolean it stands for, and an
    answer the server cut short refused."""
    answer = json.loads(response.content)
    names = answer.get("head", {}).get("vars", [])
    if names == [VIRTUOSO_ASK]:
        result = Result("ASK")
        result.askAnswer = any(row.get(VIRTUOSO_ASK, {}).get("value") not in (None, "0")
                               for row in answer["results"]["bindings"])
        return result
    cap = response.headers.get("x-sparql-maxrows")
    if cap is not None and len(answer.get("results", {}).get("bindings", [])) >= int(cap):
        raise StoreError(f"{url}: the server cut the answer at {int(cap):,} rows (Virtuoso's [SPARQL] "
                         "ResultSetMaxRows); raise it above the catalog's size, whytag reads whole answers")
    return Result.parse(io.BytesIO(response.content), format="json")


class ChallengeAuth(httpx.Auth):
    """HTTP auth for a URL's `user:password@`: Basic, sent at once, or Digest when the server refuses Basic
    (Virtuoso's /sparql-auth); from then on every request answers the last Digest challenge straight away."""

    requires_response_body = False

    def __init__(self, user: str, password: str) -> None:
        self.basic = httpx.BasicAuth(user, password)
        self.digest = httpx.DigestAuth(user, password)
        self.use_digest = False

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.use_digest:
            yield from self.digest.auth_flow(request)
            return
        response = yield next(self.basic.auth_flow(request))
        if response.status_code == 401 and not response.headers.get("www-authenticate", "").lower().startswith("basic"):
            # Virtuoso refuses a Basic header with no challenge at all; asked without one it challenges for Digest
            del request.headers["Authorization"]
            self.use_digest = True
            yield from self.digest.auth_flow(request)


def _split_credentials(url: str) -> tuple[str, httpx.Auth | None]:
    """The URL without `user:password@`, and those as auth (None if absent)."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, None
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc)), ChallengeAuth(parts.username, parts.password or "")
