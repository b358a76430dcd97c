"""The verbs of the lifecycle beyond ``build``: one thin function per verb, which the CLI calls.

``issue`` (drafts to issued versions), ``sign`` (record a controller's signature), ``reviews`` (review dates
due, and a calendar of them) and ``overview`` (drafts and sign-off, for ``status``). Each does its work through
the library (``build``, ``signoff``, ``manifest``) and prints nothing.
"""
