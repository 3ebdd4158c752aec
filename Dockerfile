# The worker as a deployable image: docker build -t lp-market-maker-worker .
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund --omit=optional
COPY . .
# For payload encryption (LPMM_PAYLOAD_KEYS): --build-arg BUNDLE_FLAGS=--encrypt-failure-messages
ARG BUNDLE_FLAGS=""
RUN npx tsx worker/bundle.ts /app/dist/workflow-bundle.js $BUNDLE_FLAGS
ENV NODE_ENV=production \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js \
    TASK_QUEUE=market-making
# DATABASE_URL and TEMPORAL_ADDRESS (plus TLS settings for a remote cluster) come from the deployment.
USER node
CMD ["node", "--import", "tsx", "worker/main.ts"]
