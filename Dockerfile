# The app in a container: one Streamlit process, one replica of compose.yaml's service "app".
#   docker build -t mnist-explainer . && docker run -p 8501:8501 mnist-explainer
# Several replicas behind a sticky load balancer: compose.yaml (README, "Hosting with replicas").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A user without privileges runs the app; its home holds the decoded data cache (~/.cache/mnistcore).
RUN useradd --create-home --uid 10001 app
WORKDIR /home/app/mnist

# The pinned requirements first, so that a code change does not reinstall them; then the engine
# (MNIST ships inside it) and the app's helpers, which requirements.txt installs from this
# checkout (its `-e .` line, pyproject.toml).
COPY requirements.txt .
RUN grep -v -- '^-e' requirements.txt > /tmp/pinned.txt && pip install -r /tmp/pinned.txt
COPY --chown=app:app pyproject.toml README.md ./
COPY --chown=app:app mnistcore ./mnistcore
COPY --chown=app:app ui ./ui
COPY --chown=app:app deploy ./deploy
RUN pip install --no-deps -r requirements.txt

# The app: router, pages, Streamlit's settings.
COPY --chown=app:app app.py ./
COPY --chown=app:app pages ./pages
COPY --chown=app:app .streamlit/config.toml ./.streamlit/config.toml

# The demo limits (ui/limits.py), at their defaults: override with `docker run -e` or compose's
# environment. A value that is not a whole number >= 1 is ignored and the Train page says so.
ENV MNIST_MAX_EPOCHS=500 \
    MNIST_MAX_WIDTH=1024 \
    MNIST_MAX_LAYERS=5 \
    MNIST_PER_SAMPLE_MAX=10000 \
    MNIST_MAX_RUNS=8 \
    MNIST_MAX_RUN_MB=256 \
    MNIST_MAX_RUN_WORK=10000

USER app
EXPOSE 8501
# Streamlit answers "ok" on /_stcore/health once it serves; the image has no curl, so Python asks.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=2).read() != b'ok')"]
CMD ["python", "-m", "streamlit", "run", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501", \
     "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
