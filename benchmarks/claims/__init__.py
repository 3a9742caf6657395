"""Paper claims in miniature, measured over paired seeds (issue 20).

`python -m benchmarks.claims <method>`; see `__main__.py` and docs/claims.md.
"""
