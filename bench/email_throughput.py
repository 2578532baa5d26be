"""Delivery throughput: `python bench/email_throughput.py [N]` (default N=2000).

Sends N outbox messages through our send path (the `notifications.send_email` task body run
in-process: claim-and-read in one UPDATE … RETURNING, build the MIME message, SMTP over the worker's cached
connection, UPDATE to sent) to a local aiosmtpd sink (its own process), and the same message bytes N times with
raw smtplib over one reused connection, in alternating rounds of the same run; also
delivery.deliver() without the Celery wrapper. Prints the rates and the ratio (goal >= 0.5). Uses PostgreSQL from DATABASE_URL (a fresh
<name>_mailbench database) when set, else a temporary SQLite file."""

import argparse
import smtplib
import time

from _mail_bench import SMTPSink, bench_database, setup_django

TEXT = "Hello Ada,\n\nYour booking K7Q-4XM2 for The Long Night is confirmed.\n" * 12
HTML = "<p>Hello Ada,</p><p>Your booking <strong>K7Q-4XM2</strong> for The Long Night is confirmed.</p>" * 12
ROUNDS = 4


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=2000)
    n = parser.parse_args().n
    sink = SMTPSink()
    port = sink.port
    database = bench_database(require_postgres=False)
    setup_django(EMAIL_URL=f"smtp://127.0.0.1:{port}", EMAIL_FALLBACK_URL="", CELERY_BROKER_URL="memory://")

    from django.conf import settings

    from notifications.delivery import build_email, close_connections, deliver
    from notifications.models import EmailMessage
    from notifications.tasks import send_email

    EmailMessage.objects.bulk_create(
        EmailMessage(kind="booking_confirmation", to=f"user{i}@example.com", subject=f"Your tickets {i}",
                     body_text=TEXT, body_html=HTML, idempotency_key=f"bench:{i}")
        for i in range(2 * n)
    )
    all_ids = list(EmailMessage.objects.order_by("id").values_list("id", flat=True))
    ids, plain_ids = all_ids[:n], all_ids[n:]
    raw_bytes = build_email(EmailMessage.objects.get(pk=ids[0])).message().as_bytes(linesep="\r\n")
    raw = smtplib.SMTP("127.0.0.1", port)
    raw.ehlo()

    ours_seconds = plain_seconds = raw_seconds = 0.0
    per_round = n // ROUNDS
    for r in range(ROUNDS):
        end = (r + 1) * per_round if r < ROUNDS - 1 else n
        chunk, plain_chunk = ids[r * per_round:end], plain_ids[r * per_round:end]
        start = time.perf_counter()
        for message_id in chunk:
            send_email.apply(args=(message_id,))
        ours_seconds += time.perf_counter() - start
        start = time.perf_counter()
        for message_id in plain_chunk:
            deliver(message_id)
        plain_seconds += time.perf_counter() - start
        start = time.perf_counter()
        for i in range(len(chunk)):
            refused = raw.sendmail(settings.DEFAULT_FROM_EMAIL, [f"user{i}@example.com"], raw_bytes)
            assert not refused
        raw_seconds += time.perf_counter() - start
    raw.quit()
    close_connections()

    sent = EmailMessage.objects.filter(status="sent").count()
    assert sent == 2 * n, f"only {sent} of {2 * n} rows are sent"
    sink.stop()

    ours, plain, raw_rate = n / ours_seconds, n / plain_seconds, n / raw_seconds
    print(f"database: {database.split('@')[-1]}")
    print(f"messages: {n} through each path, {len(raw_bytes)} bytes each, {ROUNDS} alternating rounds")
    print(f"send path (notifications.send_email): {ours:8.1f} msg/s  ({ours_seconds:.2f} s)")
    print(f"delivery.deliver() without Celery:    {plain:8.1f} msg/s  ({plain_seconds:.2f} s)")
    print(f"raw smtplib, one connection:          {raw_rate:8.1f} msg/s  ({raw_seconds:.2f} s)")
    print(f"ratio send path / raw: {ours / raw_rate:.2f}  (goal >= 0.5); deliver() alone / raw: {plain / raw_rate:.2f}")


if __name__ == "__main__":
    main()
