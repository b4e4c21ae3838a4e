# One image for the three services and their relay workers (docker-compose.yml picks the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The runtime lock alone (hashed; no test extra), in its own layer so a code change reuses it.
COPY requirements/runtime.txt ./requirements/runtime.txt
RUN pip install --require-hashes -r requirements/runtime.txt

# Only what the package needs (see .dockerignore): no tests, no local databases, no venv.
COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services
COPY tools ./tools
RUN pip install --no-deps . \
    && useradd --create-home --uid 10001 cpa

# Never run as root; the services write nothing to the image (data lives in PostgreSQL).
USER cpa
EXPOSE 8001 8002 8003
CMD ["cpa", "--help"]
