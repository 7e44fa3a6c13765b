# The retrain worker. Debian-based (the Temporal core bridge ships glibc builds only).
FROM node:20.19-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
CMD ["npx", "tsx", "src/worker.ts"]
