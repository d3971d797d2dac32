"""``waitress-serve``, with the listening socket handed over by its descriptor:
``python -m support.waitress_serve FD [waitress-serve's options] module:app``."""

from __future__ import annotations

import pkgutil
import socket
import sys

from waitress import serve
from waitress.adjustments import Adjustments


def main(argv: list[str]) -> None:
    options, arguments = Adjustments.parse_args(argv[1:])
    options = {k: v for k, v in options.items() if k not in ("help", "call")}
    serve(pkgutil.resolve_name(arguments[0]), sockets=[socket.socket(fileno=int(argv[0]))], **options)


if __name__ == "__main__":
    main(sys.argv[1:])
