"""The benchmark of issue 11 (``bench/run.py``) and the synthetic areas it builds (``bench/synth.py``)."""
