"""``GET /healthz``: the process is up and answering HTTP (200 ``ok``). It touches no database, so a
database outage does not restart the process; there is no readiness check yet."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

HEALTHZ = "/healthz"


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok", headers={"Cache-Control": "no-store"})


def health_routes() -> list[Route]:
    return [Route(HEALTHZ, healthz, methods=["GET"])]
