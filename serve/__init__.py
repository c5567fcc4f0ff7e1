"""`whytag serve`: the graph over HTTP — a SPARQL 1.1 Protocol endpoint and linked-data pages.

`sparql.py` runs queries and updates with a time limit and a result cap and serializes their results,
`pages.py` renders tracks, tags, rules and the catalog as HTML (or RDF by content negotiation),
`chart.py` draws a track's features as inline SVG, `cache.py` keeps answers until the server's next
update, and `app.py` puts them on one Starlette app.
"""
