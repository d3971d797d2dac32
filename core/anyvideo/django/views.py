"""The view that receives provider callbacks."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from anyvideo.django.video import get_video, public_url
from anyvideo.webhooks import WebhookRequest, respond


@csrf_exempt  # type: ignore[untyped-decorator]  # the provider signs its callbacks; it has no CSRF token
def callbacks(request: HttpRequest) -> HttpResponse:
    """Verify the callback, send its events as :data:`~anyvideo.django.signals.video_event`, and
    answer as :func:`anyvideo.webhooks.wsgi_app` does: 204, 403 (verification failed), 400 (not
    a callback), 405 (neither POST nor GET), 200 with the call-control document to a voice
    webhook (``video.phone``). A receiver that raises makes it a 500."""
    root = request.path[: len(request.path) - len(request.path_info)]  # the script prefix
    seen = WebhookRequest(request.method or "GET", request.build_absolute_uri(), request.headers.items(), request.body)
    status, reply = respond(get_video(), seen.with_public_url(public_url(), root))
    if reply is None:
        return HttpResponse(status=status)
    return HttpResponse(reply.body, status=status, content_type=reply.content_type)
