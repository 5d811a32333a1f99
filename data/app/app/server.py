"""The HTTP service: GET / (status), GET /hello?name=... and GET /health, on port 8080.

Standard library only, so the image needs nothing but Python. Run it with `python -m app.server`.
"""

import json
import os
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .greeting import greeting, status


class Handler(BaseHTTPRequestHandler):
    """Answers the three routes with JSON (or plain "ok" for the health check)."""

    server_version = "hello-service"

    def do_GET(self) -> None:  # noqa: N802 (the name http.server expects)
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/health":
            self._send(200, "text/plain", b"ok")
        elif url.path == "/":
            self._json(200, status())
        elif url.path == "/hello":
            name = urllib.parse.parse_qs(url.query).get("name", [None])[0]
            self._json(200, {"message": greeting(name)})
        else:
            self._json(404, {"error": f"no route {url.path}"})

    def _json(self, code: int, body: dict) -> None:
        self._send(code, "application/json", json.dumps(body).encode())

    def _send(self, code: int, content_type: str, data: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:  # one line per request on stdout
        print(f"{self.address_string()} {format % args}", flush=True)


def serve(port: int | None = None, host: str = "0.0.0.0") -> ThreadingHTTPServer:
    """A server bound to host:port (port 0: a free one), not yet serving."""
    return ThreadingHTTPServer((host, int(os.environ.get("PORT", 8080)) if port is None else port), Handler)


if __name__ == "__main__":
    httpd = serve()
    print(f"hello-service listening on port {httpd.server_address[1]}", flush=True)
    httpd.serve_forever()
