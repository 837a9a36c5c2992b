"""Everything served over plain HTTP (Starlette), in front of Reflex's backend: the sign-in endpoints
(``auth``), the private-file route table (``private_files``), ``/healthz`` (``health``), put together
by ``app.build_auth_app``. Nothing in this package imports reflex."""
