"""Acceptance tests: call a deployed service over HTTP. APP_URL says where (e.g. http://127.0.0.1:8080).

The pipeline's acceptance-tests project starts the environment's image and sets APP_URL; run them
yourself with: APP_URL=http://127.0.0.1:8080 python -m unittest discover -s tests/acceptance -t .
"""

import json
import os
import time
import unittest
import urllib.error
import urllib.request

APP_URL = os.environ.get("APP_URL", "").rstrip("/")
EXPECTED_VERSION = os.environ.get("EXPECTED_VERSION")  # when set, the deployed version must match


def get(path: str, timeout: float = 5.0) -> tuple[int, str, bytes]:
    """(status, content type, body) of GET APP_URL + path."""
    try:
        with urllib.request.urlopen(APP_URL + path, timeout=timeout) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def wait_until_healthy(seconds: float = 30.0) -> None:
    """Poll /health until it answers, so a service that is still starting is not a failure."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if get("/health", timeout=2.0)[0] == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{APP_URL}/health did not answer within {seconds:.0f} s")
        time.sleep(0.5)


@unittest.skipUnless(APP_URL, "APP_URL is not set: these tests need a running service")
class DeployedServiceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        wait_until_healthy()

    def test_health_says_ok(self):
        self.assertEqual(get("/health")[::2], (200, b"ok"))

    def test_status_names_the_service(self):
        code, content_type, body = get("/")
        self.assertEqual(code, 200)
        self.assertIn("application/json", content_type)
        answer = json.loads(body)
        self.assertEqual(answer["service"], "hello-service")
        if EXPECTED_VERSION:
            self.assertEqual(answer["version"], EXPECTED_VERSION)

    def test_greets_by_name(self):
        code, _, body = get("/hello?name=Ada")
        self.assertEqual((code, json.loads(body)), (200, {"message": "Hello, Ada!"}))

    def test_unknown_route_is_404(self):
        self.assertEqual(get("/nowhere")[0], 404)


if __name__ == "__main__":
    unittest.main()
