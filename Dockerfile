# quizbot: a Telegram bot that trains media literacy. Multi-stage: wheels are built in the
# first stage; the second installs them and nothing else (the migrations and the bundled
# quizzes ship inside the package).

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot/ bot/
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    QUIZBOT_LOG_FORMAT=json \
    QUIZBOT_WEBHOOK_LISTEN=0.0.0.0 \
    QUIZBOT_WEBHOOK_PORT=8080
RUN groupadd --system --gid 10001 quizbot \
    && useradd --system --uid 10001 --gid quizbot --home-dir /app --shell /usr/sbin/nologin quizbot
WORKDIR /app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/*.whl && rm -rf /wheels
COPY --chmod=0755 docker/entrypoint.sh /usr/local/bin/quizbot-entrypoint
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('QUIZBOT_WEBHOOK_PORT', '8080') + '/healthz', timeout=4)"]
ENTRYPOINT ["quizbot-entrypoint"]
CMD ["webhook"]
