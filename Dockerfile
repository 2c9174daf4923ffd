# Production image: one image for web, workers and beat (docker-compose.yml picks the command).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

RUN useradd --create-home --uid 10001 portal
WORKDIR /app
COPY pyproject.toml ./
COPY portal ./portal
COPY templates ./templates
COPY manage.py ./
# The same storage the containers use at run time (docker-compose.yml): hashed, compressed, with a manifest.
ENV STATICFILES_BACKEND=whitenoise.storage.CompressedManifestStaticFilesStorage
RUN pip install . && python manage.py collectstatic --noinput \
    && chown -R portal:portal /app
USER portal
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
