"""The web workspace: server-rendered pages and static assets over the store.

Kept import-free on purpose: the store's migration list imports
:mod:`dualtrace.show.web.case_schema`, so this package must not pull in the router
(and through it the store) when it is first imported. Use
``dualtrace.show.web.router.create_web_router``.
"""
