# The Lineage image: API, workers and beat run from it with different commands.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY api ./api
COPY crawler ./crawler
COPY graph ./graph
COPY workers ./workers
COPY lineage ./lineage
RUN pip install --no-cache-dir . && useradd --create-home lineage
USER lineage
EXPOSE 8000
CMD ["lineage", "serve", "--host", "0.0.0.0", "--port", "8000"]
