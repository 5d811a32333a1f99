"""Imported once by the server that starts compare()'s worker processes (metrics.WORKER_PRELOAD).

A first run in a fresh process spends about 0.2 s loading botocore's CodePipeline model and the
world's data; doing it here, once, lets every worker forked from the server start warm.
"""

from . import metrics, patterns

metrics.run(patterns.simple_but_bold(), commits=1)
