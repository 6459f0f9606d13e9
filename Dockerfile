# healthcircle: coverage API and maps for the default county (Jinjiang 晋江市).
#   docker build -t healthcircle . && docker run -p 8000:8000 healthcircle
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HEALTHCIRCLE_HOST=0.0.0.0 \
    HEALTHCIRCLE_PORT=8000

WORKDIR /srv/healthcircle

# Dependencies first, in their own layer: it is rebuilt only when pyproject.toml changes.
# Empty package stubs let pip resolve the project's dependencies before the sources are copied.
COPY pyproject.toml README.md ./
RUN mkdir -p analysis app \
    && touch analysis/__init__.py app/__init__.py \
    && pip install . \
    && pip uninstall -y healthcircle \
    && rm -rf analysis app build *.egg-info

# The sources, the embedded data and the vendored map assets.
COPY analysis ./analysis
COPY app ./app
COPY data ./data
RUN pip install --no-deps -e . \
    && useradd --system --uid 10001 --no-create-home healthcircle \
    && chown -R healthcircle /srv/healthcircle
USER healthcircle

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
CMD ["healthcircle", "serve"]
