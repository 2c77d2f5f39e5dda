FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# Build-time settings only: production reads SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL at run time.
RUN SECRET_KEY=build ALLOWED_HOSTS=build DATABASE_URL=postgres://build@localhost/build \
    python manage.py compilemessages --ignore=.venv -v 0 \
 && SECRET_KEY=build ALLOWED_HOSTS=build DATABASE_URL=postgres://build@localhost/build \
    python manage.py collectstatic --noinput -v 0
RUN useradd --create-home portal && mkdir -p /data/media && chown -R portal /app /data
USER portal
EXPOSE 8000
# Proxies on Docker's private networks may set X-Forwarded-Proto (docs/DEPLOY.md, "Reverse proxy").
CMD ["gunicorn", "sxsh_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "5", "--max-requests", "1000", "--max-requests-jitter", "100", "--access-logfile", "-", "--forwarded-allow-ips", "127.0.0.1,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"]
