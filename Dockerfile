# lbmedic worker / receiver image. Runs the TypeScript sources precompiled into one module at image
# build (bin/compiled-cli.mjs, keyed by the sources, so it cannot drift from them); tsx is the fallback.
# Build: docker build -t lbmedic:local .
# Run: docker run --rm lbmedic:local worker | receiver --host 0.0.0.0 | setup temporal | help
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# glibc gives each thread that allocates its own malloc arena (the Temporal core, V8 and libuv run
# many): two arenas keep the worker ~30 MB smaller at 100 concurrent remediations (BENCHMARKS.md).
ENV MALLOC_ARENA_MAX=2
# V8's young generation grows to 2 × 16 MB by default; 2 × 4 MB kept the worker's peak ~30 MB lower
# at 100 concurrent remediations for the same CPU (BENCHMARKS.md). A startup flag: it cannot be set
# from bin/lbmedic.mjs like the others, and NODE_OPTIONS allows it.
ENV NODE_OPTIONS=--max-semi-space-size=4
# Dependencies first, so source edits reuse this layer. Runtime needs (esbuild, tsx, yaml, zod, the Temporal
# SDK and the Google clients) are all in "dependencies"; tests and tooling are devDependencies.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# tsconfig.json: esbuild and tsx read it, so the image compiles the sources exactly as the tests do.
COPY tsconfig.json ./
COPY activities ./activities
COPY bin ./bin
COPY cli ./cli
COPY core ./core
COPY policies ./policies
COPY receiver ./receiver
COPY runtime ./runtime
COPY setup ./setup
COPY simulator ./simulator
COPY workflows ./workflows
# Precompile the CLI (bin/compiled-cli.mjs) into node_modules/.cache while the image is writable:
# the unprivileged process could not, and would fall back to tsx (~35 MB more per process).
RUN node bin/lbmedic.mjs help > /dev/null
# The sources stay root-owned and read-only to the process; it runs as the image's unprivileged user.
USER node
# The receiver's default port (lbmedic receiver --host 0.0.0.0).
EXPOSE 8787
ENTRYPOINT ["node", "bin/lbmedic.mjs"]
CMD ["worker"]
