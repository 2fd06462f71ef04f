# syntax=docker/dockerfile:1
# Build: docker build -t cnscd-api .
# Run:   docker run -p 8000:8000 -e CNSCD_ENVIRONMENT=production \
#          -e CNSCD_SECRET_KEY=... -e CNSCD_DATABASE_URL=postgresql://... cnscd-api

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --upgrade pip && /opt/venv/bin/pip install .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin cnscd
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY alembic.ini ./
COPY migrations ./migrations
RUN mkdir -p /app/var && chown cnscd /app/var
USER cnscd
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"]
CMD ["sh", "-c", "alembic upgrade head && exec uvicorn --factory cnscd_api.main:create_app --host 0.0.0.0 --port 8000 --no-access-log --proxy-headers"]
