# An image for muxbench's load workers on Kubernetes (`muxbench k8s`): muxbench in /muxbench, runtime
# dependencies only. Build it from the repository root, push it where the cluster pulls from:
#   docker build -t registry.example/muxbench:1 . && docker push registry.example/muxbench:1
FROM node:20-bookworm-slim
WORKDIR /muxbench
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY scenarios ./scenarios
USER node
ENTRYPOINT ["node", "bin/muxbench.js"]
