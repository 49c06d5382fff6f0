# The Lineage image: API, workers and beat run from it with different commands.
# Dependencies come from requirements.lock (exact versions, every file's sha256; scripts/lock
# regenerates it), then the project itself is installed without resolving anything again.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY terms ./terms
COPY crawler ./crawler
COPY graph ./graph
COPY reports ./reports
COPY hubreplay ./hubreplay
COPY dumps ./dumps
COPY workers ./workers
COPY api ./api
COPY lineage ./lineage
RUN pip install --no-cache-dir --no-deps --no-build-isolation . && pip check && useradd --create-home lineage
USER lineage
EXPOSE 8000
CMD ["lineage", "serve", "--host", "0.0.0.0", "--port", "8000"]
