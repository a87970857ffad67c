"""Qode's benchmarks and test tools (`qode bench …`, the fake ESC/POS printer).

A separate distribution, `qode-bench`, so the box's runtime package carries none of it:
`pip install -e ./bench` in a checkout adds it; on a box, its wheel (`pip wheel --no-deps -w DIR
./bench`) and `pip install --find-links DIR "qode[bench]"`. It is not on PyPI.
"""
