# syntax=docker/dockerfile:1
# Build:   docker build -t cnscd-api .
# Migrate: once per release, before any replica of it starts (docs/operations.md):
#          docker run --rm -e CNSCD_ENVIRONMENT=production -e CNSCD_SECRET_KEY=... \
#            -e CNSCD_DATABASE_URL=postgresql://... cnscd-api alembic upgrade head
# Run:     docker run -p 8000:8000 -e CNSCD_ENVIRONMENT=production -e WEB_CONCURRENCY=4 \
#            -e CNSCD_SECRET_KEY=... -e CNSCD_DATABASE_URL=postgresql://... cnscd-api
# The server does not migrate: replicas starting together must not race to change the
# schema, and a release whose migration failed must not start at all.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md requirements.lock ./
COPY src ./src
# The packages CI tested, pinned with their hashes (requirements.lock, `make lock`), then
# the project itself, built by the locked hatchling.
RUN python -m venv /opt/venv \
  && /opt/venv/bin/pip install --require-hashes --no-deps -r requirements.lock \
  && /opt/venv/bin/pip install --no-deps --no-build-isolation . \
  && /opt/venv/bin/pip check

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin cnscd
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY alembic.ini ./
COPY migrations ./migrations
RUN mkdir -p /app/var && chown cnscd /app/var
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"]
# Workers: WEB_CONCURRENCY (uvicorn reads it; 1 by default). No access log of uvicorn's
# (it prints query strings; ours logs route templates) and no Server banner.
CMD ["uvicorn", "--factory", "cnscd_api.main:create_app", "--host", "0.0.0.0", "--port", "8000", "--no-access-log", "--no-server-header", "--proxy-headers"]
