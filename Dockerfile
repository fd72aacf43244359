# One image for every mailgate role (smtp, imap, worker, web); the command picks the role.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY mailgate ./mailgate
COPY parsers ./parsers
COPY router ./router
COPY notifier ./notifier
COPY webui ./webui
COPY schema ./schema
RUN pip install --no-cache-dir . && useradd --system --home /app mailgate
USER mailgate
ENTRYPOINT ["mailgate"]
CMD ["run"]
