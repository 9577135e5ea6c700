# lbmedic worker / receiver image. Runs the TypeScript sources through tsx (a runtime dependency), so
# there is no build step to drift from the source. Build: docker build -t lbmedic:local .
# Run: docker run --rm lbmedic:local worker | receiver --host 0.0.0.0 | setup temporal | help
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# Dependencies first, so source edits reuse this layer. Runtime needs (tsx, yaml, zod, the Temporal
# SDK and the Google clients) are all in "dependencies"; tests and tooling are devDependencies.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# tsconfig.json: tsx reads it, so the image compiles the sources exactly as the tests do.
COPY tsconfig.json ./
COPY activities ./activities
COPY bin ./bin
COPY core ./core
COPY policies ./policies
COPY simulator ./simulator
COPY worker ./worker
COPY workflows ./workflows
# The sources stay root-owned and read-only to the process; it runs as the image's unprivileged user.
USER node
# The receiver's default port (lbmedic receiver --host 0.0.0.0).
EXPOSE 8787
ENTRYPOINT ["node", "bin/lbmedic.mjs"]
CMD ["worker"]
