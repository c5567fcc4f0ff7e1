"""Which endpoints a SPARQL text would contact, read before it runs (kg.federation)."""

from __future__ import annotations

import pytest

from whytag.kg.federation import FederationError, check_remote_calls, endpoint_host, remote_calls, uses_service


def test_texts_without_the_keyword_or_with_it_only_in_names_and_strings_call_nothing():
    assert remote_calls("SELECT * WHERE { ?s ?p ?o }") == []
    assert remote_calls('SELECT ?service WHERE { ?service ?p "customer service" . ?s <urn:service> ?o }') == []
    assert remote_calls("SELECT * WHERE { ?s ex:service ?o } # SERVICE <http://x/>") == []  # a comment
    assert not uses_service("ASK { ?s wt:bpm ?o }")


def test_every_reading_of_a_service_target_is_listed():
    assert remote_calls("SELECT * { SERVICE <http://a.example/q> { } }") == ["http://a.example/q"]
    both = "PREFIX e: <http://a.example/> PREFIX e: <http://b.example/> SELECT * { SERVICE e:q { } }"
    assert remote_calls(both) == ["http://a.example/q", "http://b.example/q"]  # whichever declaration wins
    assert remote_calls("SELECT * { SERVICE wt:q { } }") == ["https://w3id.org/whytag/ontology#q"]
    assert remote_calls("SELECT * { SERVICE ?endpoint { } }") == [None]  # known only while it runs
    assert remote_calls("SELECT * { SERVICE nope:q { } }") == [None]
    assert remote_calls("SELECT * { SERVICEe:q { } }") == [None]  # Oxigraph reads this as SERVICE e:q
    assert remote_calls("LOAD <http://a.example/d.ttl>", update=True) == ["http://a.example/d.ttl"]


def test_hosts_are_read_only_from_plain_absolute_iris():
    assert endpoint_host("HTTPS://Query.Example.org:8443/sparql") == "query.example.org"
    assert endpoint_host("http://[::1]:3030/q") == "::1"
    for unclear in ("http://user@a.example/", "http://127.0.0.%31/", "http://a.example\\@b.example/", "ftp://a/",
                    "relative/path", None):
        assert endpoint_host(unclear) is None, unclear


def test_only_allowed_hosts_pass():
    check_remote_calls("SELECT * { SERVICE <http://a.example/q> { } }", ["A.example"])
    check_remote_calls("SELECT * { ?s ?p ?o }", [])
    with pytest.raises(FederationError, match="host b.example"):
        check_remote_calls("SELECT * { SERVICE <http://a.example/q> { } SERVICE <http://b.example/q> { } }",
                           ["a.example"])
    with pytest.raises(FederationError, match="cannot be known"):
        check_remote_calls("SELECT * { SERVICE ?e { } }", ["a.example"])
