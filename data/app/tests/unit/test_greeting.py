"""Unit tests: the service's logic, without a network (run with python -m unittest)."""

import os
import unittest
from unittest import mock

from app.greeting import SERVICE, greeting, status, version


class GreetingTest(unittest.TestCase):
    def test_greets_a_name(self):
        self.assertEqual(greeting("Ada"), "Hello, Ada!")

    def test_trims_spaces(self):
        self.assertEqual(greeting("  Grace Hopper "), "Hello, Grace Hopper!")

    def test_falls_back_to_world(self):
        for name in (None, "", "<script>", "x" * 41, "42"):
            with self.subTest(name=name):
                self.assertEqual(greeting(name), "Hello, world!")


class StatusTest(unittest.TestCase):
    def test_names_the_service_and_version(self):
        with mock.patch.dict(os.environ, {"APP_VERSION": "abc123"}):
            self.assertEqual(status(), {"service": SERVICE, "version": "abc123", "message": "Hello, world!"})

    def test_version_from_a_checkout_is_dev(self):
        with mock.patch.dict(os.environ, {}, clear=True):
            self.assertEqual(version(), "dev")


if __name__ == "__main__":
    unittest.main()
