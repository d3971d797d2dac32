from django.http import HttpResponse
from django.urls import include, path

urlpatterns = [
    path("video/", include("anyvideo.django.urls")),
    path("health", lambda request: HttpResponse("ok")),
]
