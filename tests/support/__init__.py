"""Helpers the tests share as plain modules (conftest.py files keep only fixtures):
`race` (one barrier for concurrent threads), `waiting`, `net`, `smtp`, `harness` (our own
Redis, PostgreSQL, Celery and gunicorn processes), `urls`, `stripe` and `clerk` payloads."""
