"""The verbs beyond ``build``: one thin module per verb, which the CLI calls and the public API exports.

``validate`` (every problem of an area, the sign-off register included, and its files counted), ``status``
(stale documents, hand edits, drafts and sign-off), ``issue`` (drafts to issued versions), ``sign`` (record a
controller's signature), ``reviews`` (review dates due, and a calendar of them), ``overview`` (drafts and
sign-off, for ``status``), ``starter`` (``init --agency``: a small group's own area) and ``new_agency`` (a
profile from one question per required field). Each does its work through the library and prints nothing;
``new_agency`` asks through a function it is given.
"""
