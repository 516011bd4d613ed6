"""The planners' web app (``regio serve``): a what-if page in Dutch over the same engine, and its JSON API.

Owns the HTTP routes (:mod:`.app`), the job board that runs solves in a bounded pool of worker
processes (:mod:`.jobs`), what those workers do (:mod:`.worker`), the job folders on disk
(:mod:`.store`), the page's views of an instance and of a result (:mod:`.views`) and its words in
Dutch and English (:mod:`.i18n`).  It imports the Python API and what lies below it; only the
command line imports it.  Why this stack: ``docs/web.md``.
"""
