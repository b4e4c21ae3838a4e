# One image for the three services, their relay workers and the one-shot migration (docker-compose.yml
# picks the command). Reproduced without a container runtime by tests/test_container.py.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Korean fonts: certificate PDFs print names in Hangul (services/peaks/domain/certificate_pdf.py finds
# NanumGothic by path); without them they fall back to romanised text.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-nanum \
    && rm -rf /var/lib/apt/lists/*

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
    && rm -rf build ./*.egg-info

# Never run as root. /app and the installed package stay root-owned (read-only to the services); each
# service writes only under /var/lib/cpa (VAR_DIR; peaks' photos: STORAGE_DIR), where compose mounts its
# named volume. An empty named volume takes this directory's owner, so `cpa` can write there.
RUN useradd --create-home --uid 10001 cpa \
    && install -d -o cpa -g cpa -m 0750 /var/lib/cpa

USER cpa
EXPOSE 8001 8002 8003
CMD ["cpa", "--help"]
