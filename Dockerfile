# syntax=docker/dockerfile:1
#
# CardCharts production image. One image serves every role; docker-compose.yml
# picks the command: gunicorn (web, the default below), `cardcharts db upgrade`
# (migrate), `cardcharts worker` and `cardcharts beat`.
#
#   docker build -t cardcharts .

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CARDCHARTS_DATA_DIR=/var/lib/cardcharts

# Chromium draws the exported images (kaleido, app/exports); Debian's package, no download at run time.
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium \
    && rm -rf /var/lib/apt/lists/*

# An unprivileged user; it owns only the data directory (the code stays root-owned).
RUN groupadd --system --gid 10001 cardcharts \
    && useradd --system --uid 10001 --gid cardcharts --create-home --home-dir /home/cardcharts \
        --shell /usr/sbin/nologin cardcharts \
    && install -d -o cardcharts -g cardcharts -m 0750 /var/lib/cardcharts

WORKDIR /app

# Dependencies first, in their own layer, read from pyproject.toml: a code change
# does not reinstall them. (README.md* : the readme is optional for the build.)
COPY pyproject.toml README.md* ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; print(*deps, sep=chr(10))" \
        > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY app ./app
COPY callbacks ./callbacks
COPY layouts ./layouts
COPY data ./data
COPY workers ./workers
COPY migrations ./migrations
COPY assets ./assets

# The project itself (console script `cardcharts`); its dependencies are already there.
RUN pip install --no-cache-dir . \
    && rm -rf build ./*.egg-info \
    && python -m compileall -q app callbacks layouts data workers migrations

USER 10001:10001

EXPOSE 8050

# gevent workers, configured in app/gunicorn_conf.py (the same as `cardcharts run`).
ENV CARDCHARTS_HOST=0.0.0.0
CMD ["gunicorn", "-c", "python:app.gunicorn_conf", "app.web:create_server()"]
