# Production image: one image for web, workers and beat (docker-compose.yml picks the command).

# Stage 1: the wheel, built from the whole project (.dockerignore keeps secrets and caches out); pyproject.toml
# decides what it holds: every app, templates, static files, compiled catalogues, instrument definitions.
FROM python:3.11-slim-bookworm AS wheel
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY . .
RUN pip wheel --no-deps --wheel-dir /wheels .

# Stage 2: the wheel and its pinned dependencies, nothing of the source tree. Management commands run as
# `portal COMMAND` (portal/__main__.py); tests/portal/test_installed_package.py runs the same commands.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/media
# The same storage the containers use at run time (docker-compose.yml): hashed, compressed, with a manifest.
ENV STATICFILES_BACKEND=whitenoise.storage.CompressedManifestStaticFilesStorage

RUN useradd --create-home --uid 10001 portal
COPY --from=wheel /wheels /wheels
RUN pip install /wheels/*.whl && rm -rf /wheels
WORKDIR /app
# Static files are collected as root and only read at run time; uploads (emergency plans, class videos) are the
# one place the app writes, on the volume docker-compose.yml mounts at /app/media.
RUN portal collectstatic --noinput \
    && mkdir -p /app/media && chown portal:portal /app/media
USER portal
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
