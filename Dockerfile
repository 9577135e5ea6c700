# lbmedic worker / receiver image. Runs TypeScript through tsx (no build step to drift from the source).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY activities ./activities
COPY bin ./bin
COPY core ./core
COPY policies ./policies
COPY simulator ./simulator
COPY worker ./worker
COPY workflows ./workflows
USER node
ENTRYPOINT ["node", "bin/lbmedic.mjs"]
CMD ["worker"]
