"""Qode's benchmarks and test tools (`qode bench …`, the fake ESC/POS printer).

A separate distribution, `qode-bench`, so the box's runtime package carries none of it:
`pip install "qode[bench]"` (or `pip install -e ./bench` in a checkout) adds it.
"""
