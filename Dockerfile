# The one image of web, worker, beat, flower and the migrate step (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are collected at build time with throwaway values: settings refuse to load
# without a SECRET_KEY and a payment gateway when DEBUG is false.
RUN DEBUG=false SECRET_KEY=collectstatic-only-build-time-key-never-used-at-runtime PAYMENT_GATEWAY=local \
    python manage.py collectstatic --noinput

# Never run as root.
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin app \
    && mkdir -p /app/media /app/var/media \
    && chown -R app:app /app/media /app/var
USER app

EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind=0.0.0.0:8000", "--workers=3", "--access-logfile=-"]
